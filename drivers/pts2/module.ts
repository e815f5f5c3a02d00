// The PTS-2 driver as a device-layer module: `driver: pts2` (docs/pts2.md). With `virtual:` it
// runs against the virtual PTS-2 (simulator/twins/pts2.ts) over loopback HTTP.
import { z } from "zod";
import { defineDriver, type DriverContext, type OpenedController } from "../driver-module.ts";
import type { Grade } from "../../contracts/dispenser.ts";
import { pts2ConfigSchema, type Pts2Config } from "./config.ts";

const VirtualSchema = z.strictObject({
  /** ml per second while a virtual pump fills. */
  flowMilliPerSecond: z.number().int().positive().default(600),
});

export type Pts2ControllerConfig = Pts2Config & { readonly virtual?: z.output<typeof VirtualSchema> };

/** A virtual entry needs no url/auth: the twin's are filled in when it starts. */
const PLACEHOLDER_LINK = { url: "http://127.0.0.1:9/jsonPTS", auth: { scheme: "none" } };

export const pts2EntrySchema = z.unknown().transform((input, ctx): Pts2ControllerConfig => {
  const raw = (typeof input === "object" && input !== null ? input : {}) as Record<string, unknown>;
  const { virtual, ...rest } = raw;
  const v = virtual === undefined ? undefined : VirtualSchema.safeParse(virtual);
  if (v && !v.success) {
    for (const i of v.error.issues) ctx.issues.push({ code: "custom", message: i.message, path: ["virtual", ...(i.path as PropertyKey[])], input });
    return z.NEVER;
  }
  const r = pts2ConfigSchema.safeParse(v ? { ...PLACEHOLDER_LINK, ...rest } : rest);
  if (!r.success) {
    for (const i of r.error.issues) ctx.issues.push({ code: "custom", message: i.message, path: i.path as PropertyKey[], input });
    return z.NEVER;
  }
  return { ...r.data, ...(v ? { virtual: v.data } : {}) };
});

async function open(c: Pts2ControllerConfig, ctx: DriverContext): Promise<OpenedController> {
  const { openPts2Controller } = await import("./open.ts");
  const { virtual: _virtual, ...cfg } = c;
  const driver = await openPts2Controller(cfg, {
    logger: ctx.logger,
    scheduler: ctx.scheduler,
    store: ctx.store,
    readSecret: (path) => ctx.readSecret(path, `PTS-2 ${c.id} password file`),
  });
  return { id: c.id, driver: "pts2", points: c.points.map((p) => p.point), dispenser: driver, describe: () => ({ url: c.url, stats: driver.stats() }), close: () => driver.close() };
}

export const pts2Driver = defineDriver<Pts2ControllerConfig>({
  driver: "pts2",
  describe: "Technotrade PTS-2 forecourt controllers over jsonPTS (docs/pts2.md)",
  configSchema: pts2EntrySchema as unknown as z.ZodType<Pts2ControllerConfig>,
  pointsOf: (c) => c.points.map((p) => p.point),
  gradesOf: (c): readonly Grade[] => c.grades.map((g) => ({ id: g.id, name: g.name, unit: g.unit, unitPriceMinor: g.unitPriceMinor, vatRatePercent: g.vatRatePercent })),
  check(c, station) {
    const problems: Array<{ path: Array<string | number>; message: string }> = [];
    const known = new Set(c.grades.map((g) => g.id));
    c.points.forEach((m, i) => {
      const p = station.points.find((x) => x.id === m.point);
      if (!p) return;
      if (p.kind !== "fuel") problems.push({ path: ["points", i, "point"], message: `point ${m.point} is a ${p.kind} point; a PTS-2 pump needs kind: fuel` });
      for (const g of p.grades) if (!known.has(g)) problems.push({ path: ["points", i, "point"], message: `point ${m.point} sells grade '${g}', which is not in this controller's grades` });
    });
    return problems;
  },
  open,
  twin: async () => (await import("../../simulator/twins/pts2.ts")).pts2Twin,
});
