// Opening the MDB cashless driver: config validation, the point checked against the kiosk host,
// stored vends resumed. The device-registry module (`driver: mdb`) is drivers/mdb/driver.ts.
import { AgentError } from "../../base/errors.ts";
import { mdbConfigSchema, type MdbConfig, type MdbSettings } from "./config.ts";
import { MdbCashlessDriver, type MdbDeps } from "./cashless.ts";
import { mdbConnector, type MdbConnector } from "./link.ts";

export { mdbConfigSchema, type MdbConfig, type MdbSettings };

export interface MdbOpenOptions {
  /** How long open waits for the first link-up before returning anyway (ms). Default 5000. */
  readonly openTimeoutMs?: number;
  /** Replaces the configured link (tests). */
  readonly connector?: MdbConnector;
}

/** Validates the config, checks the point against the host, resumes stored vends and connects. */
export async function openMdbCashless(config: MdbConfig, deps: MdbDeps, options: MdbOpenOptions = {}): Promise<MdbCashlessDriver> {
  const parsed = mdbConfigSchema.safeParse(config);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new AgentError("CONFIG_INVALID", `mdb.${i.path.join(".")}: ${i.message}`, { path: i.path.join(".") });
  }
  const s = parsed.data;
  const point = deps.host.points().find((p) => p.id === s.point);
  if (!point) throw new AgentError("CONFIG_INVALID", `mdb.point: ${s.point} is not a kiosk point of this station`, { point: s.point });
  if (point.currency !== s.currency) throw new AgentError("CONFIG_INVALID", `mdb.currency: point ${s.point} sells in ${point.currency}, not ${s.currency}`, { point: s.point });
  const driver = new MdbCashlessDriver(s, options.connector ?? mdbConnector(s.link), { ...deps, logger: deps.logger.child(s.id) });
  await driver.start();
  await driver.waitForLink(options.openTimeoutMs ?? 5000).catch((err: unknown) => deps.logger.warn("mdb_adapter_not_reachable_yet", { id: s.id, err }));
  return driver;
}
