// escpos requires this module when it loads; the agent prints text and native QR codes only
// (drivers/printer/escpos-encoder.ts), so image decoding must never be called.
"use strict";
module.exports = function getPixels() {
  throw new Error("get-pixels is not installed with glase-agent (escpos image printing is not used); see scripts/stubs/get-pixels");
};
