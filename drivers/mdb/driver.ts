// MDB cashless as a device-registry module: `driver: mdb` (docs/mdb.md) — one vending machine
// behind a Qibixx MDB adapter = one kiosk point. With `virtual:` the virtual vending machine
// (simulator/twins/vmc.ts) sits at the other end of a socat pty pair.
import { z } from "zod";
import { defineDriver, type ControllerEntry, type DriverContext, type OpenedController } from "../driver-module.ts";
import { checkKioskPoints, kioskHostOf } from "../kiosk/registry-support.ts";
import { mdbConfigSchema } from "./config.ts";

const VirtualSchema = z.strictObject({
  /** Share of vends the machine fails (refunded). */
  failShare: z.number().min(0).max(1).default(0.15),
  /** Pause between simulated customers (real seconds). */
  pauseS: z.number().min(0).max(3600).default(20),
  /** Time from approval to the vend result (ms). */
  dispenseMs: z.number().int().min(0).max(60_000).default(1500),
});

/** A virtual entry needs no link: the twin's pty is filled in when it starts. */
const PLACEHOLDER_LINK = { kind: "serial", path: "/dev/null" };

export const mdbEntrySchema = z.unknown().transform((input, ctx) => {
  const raw = (typeof input === "object" && input !== null ? input : {}) as Record<string, unknown>;
  const { driver: _driver, virtual, ...rest } = raw;
  const v = virtual === undefined ? undefined : VirtualSchema.safeParse(virtual);
  if (v && !v.success) {
    for (const i of v.error.issues) ctx.issues.push({ code: "custom", message: i.message, path: ["virtual", ...(i.path as PropertyKey[])], input });
    return z.NEVER;
  }
  const r = mdbConfigSchema.safeParse(v && rest.link === undefined ? { ...rest, link: PLACEHOLDER_LINK } : rest);
  if (!r.success) {
    for (const i of r.error.issues) ctx.issues.push({ code: "custom", message: i.message, path: i.path as PropertyKey[], input });
    return z.NEVER;
  }
  return { ...r.data, driver: "mdb" as const, ...(v ? { virtual: v.data } : {}) };
});

export type MdbControllerConfig = z.output<typeof mdbEntrySchema> & ControllerEntry;

async function open(c: MdbControllerConfig, ctx: DriverContext): Promise<OpenedController> {
  const { openMdbCashless } = await import("./module.ts");
  const { driver: _driver, virtual: _virtual, ...cfg } = c;
  const driver = await openMdbCashless(cfg, { host: kioskHostOf(ctx, "mdb"), store: ctx.store, logger: ctx.logger, scheduler: ctx.scheduler });
  return { id: c.id, driver: "mdb", points: [c.point], describe: () => ({ link: c.link, ...driver.stats() }), onLink: (l) => driver.onLink(l), close: () => driver.close() };
}

export const mdbDriver = defineDriver<MdbControllerConfig>({
  driver: "mdb",
  describe: "a vending machine over MDB cashless through a Qibixx MDB adapter (docs/mdb.md)",
  configSchema: mdbEntrySchema as unknown as z.ZodType<MdbControllerConfig>,
  pointsOf: (c) => [c.point],
  gradesOf: () => [],
  check: (c, station) => checkKioskPoints([c.point], station, () => ["point"]),
  open,
  twin: async () => (await import("../../simulator/twins/vmc.ts")).vmcTwin,
});
