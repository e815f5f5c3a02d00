// The OCPP 1.6J driver as a device-layer module: `driver: ocpp16`. The agent is the chargers'
// central system; the entry lists the chargers that may connect and their connector → point
// mapping. With `virtual:` the configured chargers are virtual charge points (simulator/twins/
// ocpp16.ts) connecting to this driver's listener over a real WebSocket on loopback.
//
// maxSessionS is derived from the station: a session must end and settle before the Glase
// reservation lapses, so it is capped at the shortest commitReservationTimeoutS of the entry's
// points minus the customer's confirmation time (reservationWaitS: the reservation's clock may
// already run while the customer confirms), two commit safety margins (the engine stops one
// margin before its commit deadline, which is one margin before the lapse) and one stopTimeoutS:
// a charger that ignores the session-time RemoteStop is judged (or, the evidence inconclusive,
// settled with the progress seen) that long after it — still one margin before the commit deadline.
import { z } from "zod";
import { defineDriver, type DriverContext, type OpenedController, type StationFacts } from "../driver-module.ts";
import type { Grade } from "../../contracts/dispenser.ts";
import { Ocpp16ConfigSchema, type Ocpp16Config } from "./config.ts";

const VirtualSchema = z.strictObject({
  /** Power a virtual car draws (W). */
  powerW: z.number().int().positive().default(11_000),
  /** Real milliseconds per charger second (a fast simulated station: < 1000). */
  secondMs: z.number().int().positive().default(1000),
});

export type Ocpp16ControllerConfig = Ocpp16Config & {
  readonly id: string;
  readonly driver: "ocpp16";
  readonly virtual?: z.output<typeof VirtualSchema>;
  /** The chargers are an external simulated fleet (a bench's virtual charge points): chargerSecondMs may differ from 1000. */
  readonly simulatedChargers?: boolean;
};

const EntrySchema = z.looseObject({ id: z.string().min(1, "must not be empty"), driver: z.literal("ocpp16"), virtual: VirtualSchema.optional(), simulatedChargers: z.boolean().optional() });

/** One entry: the shell's keys (id, driver, virtual) checked here, the rest by the driver's schema. */
export const ocpp16EntrySchema = z.unknown().transform((input, ctx): Ocpp16ControllerConfig => {
  const base = EntrySchema.safeParse(input);
  if (!base.success) {
    for (const i of base.error.issues) ctx.issues.push({ code: "custom", message: i.message, path: i.path as PropertyKey[], input });
    return z.NEVER;
  }
  const { id, driver, virtual, simulatedChargers, ...rest } = base.data;
  const r = Ocpp16ConfigSchema.safeParse(rest);
  if (!r.success) {
    for (const i of r.error.issues) ctx.issues.push({ code: "custom", message: i.message, path: i.path as PropertyKey[], input });
    return z.NEVER;
  }
  // A real charger's second lasts 1000 ms (review 12n #4): any other figure scales every rated-power
  // bound on bills (a meterStop's plausibility, a step, a settlement of progress, the overrun
  // evidence) by 1000 / it — 0.1 voids them all, silently. Only a simulation may set it.
  if (r.data.chargerSecondMs !== 1000 && !virtual && simulatedChargers !== true) {
    ctx.issues.push({
      code: "custom",
      path: ["chargerSecondMs"],
      message: `real chargers' seconds last 1000 ms; ${r.data.chargerSecondMs} would scale every rated-power bound on the bills by ${1000 / r.data.chargerSecondMs} (remove it; only a simulated station sets it: virtual:, or simulatedChargers: true for an external virtual fleet)`,
      input,
    });
    return z.NEVER;
  }
  return { ...r.data, id, driver, ...(virtual ? { virtual } : {}), ...(simulatedChargers !== undefined ? { simulatedChargers } : {}) };
});

function pointsOf(c: Ocpp16Config): number[] {
  return c.chargers.flatMap((ch) => ch.connectors.map((k) => k.point));
}

/** The longest session that still settles before the reservation of any of these points lapses. */
export function sessionLimitS(c: Ocpp16Config, station: StationFacts): number {
  const mine = new Set(pointsOf(c));
  const timeouts = station.points.filter((p) => mine.has(p.id)).map((p) => p.commitReservationTimeoutS);
  if (timeouts.length === 0) return c.maxSessionS;
  return Math.min(...timeouts) - station.flows.reservationWaitS - 2 * station.flows.commitSafetyMarginS - c.stopTimeoutS;
}

async function open(c: Ocpp16ControllerConfig, ctx: DriverContext): Promise<OpenedController> {
  const { openOcpp16Controller } = await import("./index.ts");
  const limit = sessionLimitS(c, ctx.station);
  const maxSessionS = Math.min(c.maxSessionS, limit);
  if (maxSessionS < c.maxSessionS) ctx.logger.info("ocpp_session_capped", { maxSessionS, configured: c.maxSessionS, reason: "settles before the Glase reservation lapses" });
  const { id: _id, driver: _driver, virtual: _virtual, simulatedChargers: _simulated, ...cfg } = c;
  if (c.chargerSecondMs !== 1000) ctx.logger.warn("ocpp_charger_second_simulated", { controller: c.id, chargerSecondMs: c.chargerSecondMs, reason: c.virtual ? "virtual station" : "simulatedChargers" });
  // A connector with no rating bills any meterStop up to a 1 MW ceiling (each doubtful one alarmed): say so at start.
  for (const ch of c.chargers) for (const k of ch.connectors) if ((k.maxPowerW ?? ch.maxPowerW) === undefined && !c.virtual) ctx.logger.warn("ocpp_connector_unrated", { controller: c.id, chargePointId: ch.id, connectorId: k.connectorId, point: k.point, why: "no maxPowerW: a 22 kW stop margin, bills bounded only by a 1 MW ceiling; set the connector's rating" });
  const connectionTimeOutS = Math.max(c.connectionTimeOutS, Math.ceil(ctx.station.flows.reservationWaitS) + 60);
  const driver = await openOcpp16Controller({ ...cfg, maxSessionS, connectionTimeOutS }, { logger: ctx.logger, scheduler: ctx.scheduler, store: ctx.store });
  return {
    id: c.id,
    driver: "ocpp16",
    points: pointsOf(c),
    dispenser: driver,
    listenUrl: driver.url,
    describe: () => ({ url: driver.url, chargers: driver.chargers() }),
    close: () => driver.close(),
  };
}

export const ocpp16Driver = defineDriver<Ocpp16ControllerConfig>({
  driver: "ocpp16",
  describe: "OCPP 1.6J chargers, the agent as their central system (docs/ocpp.md)",
  configSchema: ocpp16EntrySchema as unknown as z.ZodType<Ocpp16ControllerConfig>,
  pointsOf,
  gradesOf: (c): readonly Grade[] => c.grades.map((g) => ({ ...g, unit: "kWh" as const })),
  check(c, station) {
    const problems: Array<{ path: Array<string | number>; message: string }> = [];
    const limit = sessionLimitS(c, station);
    if (limit < 60) {
      problems.push({
        path: ["maxSessionS"],
        message: `a session could last only ${limit} s before its reservation lapses: raise the points' commitReservationTimeoutS (it must exceed flows.reservationWaitS + 2 × flows.commitSafetyMarginS + stopTimeoutS (${c.stopTimeoutS} s: the wait for a stopped charger's end) + 60), or lower stopTimeoutS`,
      });
    }
    c.chargers.forEach((ch, i) =>
      ch.connectors.forEach((k, j) => {
        const p = station.points.find((x) => x.id === k.point);
        if (p && p.kind !== "ev") problems.push({ path: ["chargers", i, "connectors", j, "point"], message: `point ${k.point} is a ${p.kind} point; a charger connector needs kind: ev` });
        const grade = k.gradeId ?? c.grades[0]?.id;
        if (p && grade !== undefined && !p.grades.includes(grade)) problems.push({ path: ["chargers", i, "connectors", j, "gradeId"], message: `point ${k.point} does not sell grade '${grade}' (its grades: ${p.grades.join(", ")})` });
      }),
    );
    return problems;
  },
  open,
  twin: async () => (await import("../../simulator/twins/ocpp16.ts")).ocpp16Twin,
});
