// The device drivers the station config can name with `driver:` (devices.controllers[]). Adding a
// driver = one module exporting a DriverModule (drivers/driver-module.ts) and one line here. The
// modules' config schemas are light (zod); their implementations and twins load only when opened.
import { AgentError } from "../base/errors.ts";
import type { DriverModule } from "./driver-module.ts";
import { lineDriver } from "./dispenser/module.ts";
import { ocpp16Driver } from "./ocpp16/module.ts";
import { pts2Driver } from "./pts2/module.ts";
import { kioskApiDriver } from "./kiosk-api/module.ts";
import { mdbDriver } from "./mdb/driver.ts";

const DRIVERS: ReadonlyMap<string, DriverModule> = new Map([lineDriver, ocpp16Driver, pts2Driver, kioskApiDriver, mdbDriver].map((m) => [m.driver, m]));

/** The driver ids a config may use, for error messages and docs. */
export function driverIds(): readonly string[] {
  return [...DRIVERS.keys()];
}

export function findDriver(id: string): DriverModule | undefined {
  return DRIVERS.get(id);
}

/** The module for `driver:`; CONFIG_INVALID naming the known ones otherwise. */
export function driverModule(id: string): DriverModule {
  const m = DRIVERS.get(id);
  if (!m) throw new AgentError("CONFIG_INVALID", `unknown driver '${id}' (known: ${driverIds().join(", ")})`, { driver: id });
  return m;
}
