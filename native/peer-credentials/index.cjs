// Loads the compiled addon (build/Release/peer_credentials.node).
"use strict";
module.exports = require("./build/Release/peer_credentials.node");
