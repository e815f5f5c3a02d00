// The line-protocol board (docs/dispenser-protocol.md) as a device-layer module: `driver: line`.
// Its link is a serial line or TCP; with `virtual:` it runs against the virtual controller
// (simulator/twins/line.ts) reached through this same driver over loopback TCP.
import { z } from "zod";
import { defineDriver, type DriverContext, type OpenedController } from "../driver-module.ts";
import type { Grade } from "../../contracts/dispenser.ts";

const nonEmpty = z.string().min(1, "must not be empty");

const GradeSchema = z.strictObject({
  id: nonEmpty,
  name: nonEmpty,
  unit: z.enum(["L", "kWh"]),
  unitPriceMinor: z.number().int().positive(),
  vatRatePercent: z.number().min(0).max(100),
});

const LinkSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("serial"),
    path: nonEmpty,
    baudRate: z.number().int().positive().default(115200),
    dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
    parity: z.enum(["none", "even", "odd"]).default("none"),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  }),
  z.strictObject({ kind: z.literal("tcp"), host: nonEmpty, port: z.number().int().min(1).max(65535) }),
]);

export const lineConfigSchema = z
  .strictObject({
    id: nonEmpty,
    driver: z.literal("line"),
    /** Filled in by the shell (the station's currency); the board announces its own. */
    currency: z.string().optional(),
    link: LinkSchema.optional(),
    /** Run against the virtual controller instead of a board. */
    virtual: z
      .strictObject({
        /** Flow rate in thousandths of the unit per second (1000 = 1 L/s or 1 kWh/s). */
        flowMilliPerSecond: z.number().int().positive().default(1_000),
      })
      .optional(),
    /** Grades: names and VAT for receipts (the board's PRICES win for amounts); required with `virtual`. */
    grades: z.array(GradeSchema).optional(),
    /** The station points this board drives (its point numbers). */
    points: z.array(z.number().int().positive()).min(1, "at least one point"),
  })
  .superRefine((c, ctx) => {
    if (!c.link && !c.virtual) ctx.addIssue({ code: "custom", path: ["link"], message: "required (or virtual)" });
    if (c.link && c.virtual) ctx.addIssue({ code: "custom", path: ["virtual"], message: "give either link or virtual, not both" });
    if (c.virtual && !c.grades?.length) ctx.addIssue({ code: "custom", path: ["grades"], message: "required with virtual (the grades the virtual controller sells)" });
  });

export type LineControllerConfig = z.output<typeof lineConfigSchema>;

async function open(c: LineControllerConfig, ctx: DriverContext): Promise<OpenedController> {
  if (!c.link) throw new Error("unreachable: validated");
  const { openDispenserController } = await import("./open.ts");
  const link = c.link.kind === "serial" ? { ...c.link, name: c.id } : { ...c.link, name: c.id };
  const driver = await openDispenserController(link, { scheduler: ctx.scheduler });
  return { id: c.id, driver: "line", points: c.points, dispenser: driver, close: () => driver.close() };
}

export const lineDriver = defineDriver<LineControllerConfig>({
  driver: "line",
  describe: "our line-protocol controller board (docs/dispenser-protocol.md) over serial or TCP",
  configSchema: lineConfigSchema,
  pointsOf: (c) => c.points,
  gradesOf: (c): readonly Grade[] => c.grades ?? [],
  check(c, station) {
    const problems: Array<{ path: Array<string | number>; message: string }> = [];
    if (!c.grades) return problems;
    const known = new Set(c.grades.map((g) => g.id));
    for (const p of station.points) {
      if (!c.points.includes(p.id)) continue;
      for (const g of p.grades) if (!known.has(g)) problems.push({ path: ["grades"], message: `point ${p.id} sells grade '${g}', which is not in this controller's grades` });
    }
    return problems;
  },
  open,
  twin: async () => (await import("../../simulator/twins/line.ts")).lineTwin,
});
