// drivers/pts2 — Technotrade PTS-2 forecourt controllers over jsonPTS (docs/pts2.md).
// The module as the device layer registers it: its config schema, how to open it, its twin.
export { jsonPtsUrl, pts2ConfigSchema, type Pts2Config, type Pts2ConfigInput, type Pts2Grade } from "./config.ts";
export { openPts2Controller, parsePts2Config, type OpenedPts2Controller, type Pts2OpenDeps } from "./open.ts";
export { Pts2Controller, type Pts2Stats } from "./driver.ts";
export { startPts2Twin, type StartedPts2Twin } from "./virtual-twin.ts";
export { PTS_ERROR, PtsPacketError, PtsTransportError, isPtsPacketError, isPtsTransportError, ptsErrorName } from "./errors.ts";

/** The device-layer module (drivers/registry.ts finds it by `driver: pts2`). */
export { pts2Driver, pts2EntrySchema, type Pts2ControllerConfig } from "./module.ts";
