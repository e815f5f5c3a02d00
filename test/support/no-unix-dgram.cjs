// Preload (`node --require`) that makes the optional native module unix-dgram unloadable, as on
// a host without a compiler where its build was skipped: the agent must fall back to
// systemd-notify (agent/daemon/notify.ts).
"use strict";
const Module = require("node:module");
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === "unix-dgram") {
    const e = new Error("Cannot find module 'unix-dgram' (not built on this host)");
    e.code = "MODULE_NOT_FOUND";
    throw e;
  }
  return resolve.call(this, request, ...rest);
};
