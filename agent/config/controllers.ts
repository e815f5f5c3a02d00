// The station's controllers (devices.controllers[]) read through the driver registry: each entry
// validated by its driver's schema (the station's currency merged in), cross-checked by the driver
// against the station, and the points they drive checked across controllers — a point driven by
// two controllers, or a pump/charger point driven by none, is a config error. Problems carry their
// config path (devices.controllers[1].chargers[0].connectors[0].point: …), all of them at once.
import type { ControllerEntry, DriverModule, StationFacts } from "../../drivers/driver-module.ts";
import { driverIds, findDriver } from "../../drivers/registry.ts";
import type { PointId } from "../../contracts/dispenser.ts";
import { AgentError } from "../../base/errors.ts";

export interface ResolvedController {
  readonly index: number;
  readonly module: DriverModule;
  /** The entry as the driver's schema parsed it (defaults filled in). */
  readonly config: ControllerEntry;
  readonly points: readonly PointId[];
}

export interface ConfigProblem {
  readonly path: ReadonlyArray<string | number>;
  readonly message: string;
}

/** The part of the config this needs (the zod-parsed config, before or after its own checks). */
export interface ControllersInput {
  readonly station: { readonly name: string; readonly currency: string };
  readonly points: ReadonlyArray<{ readonly id: number; readonly kind: "fuel" | "ev" | "kiosk"; readonly grades: readonly string[]; readonly maxPreliminaryMinor: number; readonly commitReservationTimeoutS: number }>;
  readonly flows: { readonly reservationWaitS: number; readonly commitSafetyMarginS: number };
  readonly devices: { readonly controllers: ReadonlyArray<{ readonly id: string; readonly driver: string; readonly [k: string]: unknown }> };
}

/** As in load.ts: a missing key reads better as "required" than as zod's "expected string, received undefined". */
const requiredMessage = (iss: { code?: string; input?: unknown }) => (iss.code === "invalid_type" && iss.input === undefined ? "required" : undefined);

export function stationFacts(cfg: ControllersInput): StationFacts {
  return {
    name: cfg.station.name,
    currency: cfg.station.currency,
    points: cfg.points.map((p) => ({ id: p.id, kind: p.kind, grades: p.grades, maxPreliminaryMinor: p.maxPreliminaryMinor, commitReservationTimeoutS: p.commitReservationTimeoutS })),
    flows: { reservationWaitS: cfg.flows.reservationWaitS, commitSafetyMarginS: cfg.flows.commitSafetyMarginS },
  };
}

export function resolveControllers(cfg: ControllersInput): { controllers: ResolvedController[]; problems: ConfigProblem[] } {
  const facts = stationFacts(cfg);
  const problems: ConfigProblem[] = [];
  const controllers: ResolvedController[] = [];
  const ownerOf = new Map<PointId, string>();
  const ids = new Set<string>();
  let unreadable = false;
  cfg.devices.controllers.forEach((entry, index) => {
    const at = (...rest: Array<string | number>) => ["devices", "controllers", index, ...rest];
    if (ids.has(entry.id)) problems.push({ path: at("id"), message: `duplicate controller id '${entry.id}'` });
    ids.add(entry.id);
    const module = findDriver(entry.driver);
    if (!module) {
      problems.push({ path: at("driver"), message: `unknown driver '${entry.driver}' (known: ${driverIds().join(", ")})` });
      unreadable = true;
      return;
    }
    if (entry.currency !== undefined && entry.currency !== cfg.station.currency) {
      problems.push({ path: at("currency"), message: `must be the station's currency ${cfg.station.currency} (or left out)` });
      unreadable = true;
      return;
    }
    const parsed = module.configSchema.safeParse({ currency: cfg.station.currency, ...entry }, { error: requiredMessage });
    if (!parsed.success) {
      for (const i of parsed.error.issues) problems.push({ path: at(...(i.path as Array<string | number>)), message: i.message });
      unreadable = true;
      return;
    }
    const config = parsed.data;
    for (const p of module.check?.(config, facts) ?? []) problems.push({ path: at(...p.path), message: p.message });
    const points = module.pointsOf(config);
    for (const point of points) {
      const owner = ownerOf.get(point);
      if (owner !== undefined) problems.push({ path: at(), message: `point ${point} is already driven by controller '${owner}' (a point belongs to one controller)` });
      else if (!cfg.points.some((p) => p.id === point)) problems.push({ path: at(), message: `point ${point} is not in points[] (each controller point needs its payment settings there)` });
      ownerOf.set(point, entry.id);
    }
    controllers.push({ index, module, config, points });
  });
  cfg.points.forEach((p, i) => {
    // An entry that did not parse may be the one meant to drive it: no second problem for that.
    if (p.kind !== "kiosk" && !ownerOf.has(p.id) && !unreadable) {
      problems.push({ path: ["points", i, "id"], message: `no controller in devices.controllers drives ${p.kind} point ${p.id}` });
    }
  });
  return { controllers, problems };
}

/** The resolved controllers of an already validated config (throws if it is not). */
export function controllersOf(cfg: ControllersInput): ResolvedController[] {
  const { controllers, problems } = resolveControllers(cfg);
  if (problems.length > 0) throw new AgentError("INTERNAL", `unvalidated config: ${problems[0]!.message}`, { problems });
  return controllers;
}
