// A controller renamed in the config (devices.controllers[].id) must not orphan what its driver
// remembers in drivers.sqlite — an OCPP transaction id ↔ flow of a session still charging, a PTS-2
// transaction of a sale still to settle: the records are scoped by controller id, so the new id
// would start with none and the open transaction would never settle.
//
// The rule (docs/install.md, "Renaming a controller"), applied at each start before any
// controller opens:
// - every configured controller's driver and points are remembered with its scope;
// - a scope that holds records but is no longer configured moves to the controller that now
//   drives ALL of its points with the SAME driver, if there is exactly one such controller and its
//   own scope is new (holds no records and was never described as another controller);
// - anything else — points split over several controllers, another driver, a target that has
//   records of its own, a scope written before controllers were remembered — is never guessed:
//   the records stay where they are and an alarm names the old id, its records and its points.
//   Put the old id back (or finish the rename so the rule applies) and restart.
// - an id still configured but now for other points or another driver (ids shifted) holds records
//   of points it no longer drives: they move by the same rule to the controller that now drives
//   them, or an alarm names them (and the id keeps its remembered points, so the alarm repeats
//   at every start until resolved). Never kept silently.
import type { Logger } from "../../base/log.ts";
import type { DriverScope, DriverStores } from "../journal/driver-store.ts";

export interface ConfiguredController {
  readonly id: string;
  readonly driver: string;
  readonly points: readonly number[];
}

export interface RecordsMoved {
  readonly from: string;
  readonly to: string;
  readonly records: number;
}

export interface RecordsOrphaned {
  readonly scope: string;
  readonly records: number;
  readonly points?: readonly number[];
  readonly why: string;
}

export interface DriverRecordsCheck {
  readonly moved: readonly RecordsMoved[];
  readonly orphaned: readonly RecordsOrphaned[];
}

export async function adoptRenamedControllers(stores: DriverStores, controllers: readonly ConfiguredController[], logger: Logger): Promise<DriverRecordsCheck> {
  const scopes = await stores.scopes();
  const known = new Map(scopes.map((s) => [s.scope, s]));
  const byId = new Map(controllers.map((c) => [c.id, c]));
  const moved: RecordsMoved[] = [];
  const orphaned: RecordsOrphaned[] = [];
  const taken = new Set<string>();
  /** Scopes whose description must stay as it was (their records are of another controller's points: alarmed at every start). */
  const keepDescription = new Set<string>();
  const adopt = async (old: DriverScope, why: string, others: readonly ConfiguredController[]): Promise<void> => {
    const target = targetOf(old, others, known, taken);
    if (typeof target === "string") {
      orphaned.push({ scope: old.scope, records: old.entries, ...(old.points ? { points: old.points } : {}), why: target });
      logger.error("driver-records-orphaned", { controller: old.scope, records: old.entries, points: old.points, why: target });
      keepDescription.add(old.scope);
      return;
    }
    taken.add(target.id);
    const records = await stores.moveScope(old.scope, target.id);
    moved.push({ from: old.scope, to: target.id, records });
    known.set(old.scope, { scope: old.scope, entries: 0 }); // emptied and undescribed: a new scope now
    logger.warn("driver-records-moved", { from: old.scope, to: target.id, records, points: old.points, why });
  };
  // First an id reused for another controller (ids shifted: B now drives A's points, C B's): its
  // records are of points it no longer drives, so they follow those points — never kept silently.
  for (const old of scopes) {
    const now = byId.get(old.scope);
    if (!now || old.entries === 0 || old.driver === undefined || old.points === undefined) continue;
    const reshaped = old.driver !== now.driver || old.points.some((p) => !now.points.includes(p));
    if (!reshaped) continue;
    await adopt(old, `controller id reused: ${old.scope} now drives ${now.driver} points ${now.points.join(", ")}; its records are of ${old.driver} points ${old.points.join(", ")}`, controllers.filter((c) => c.id !== old.scope));
  }
  // Then the ids no longer configured (a rename).
  for (const old of scopes) {
    if (byId.has(old.scope) || old.entries === 0) continue;
    await adopt(old, "controller renamed: same driver, same points", controllers);
  }
  for (const c of controllers) if (!keepDescription.has(c.id)) await stores.describe(c.id, c.driver, c.points);
  return { moved, orphaned };
}

/** The one controller the scope's records move to, or why there is none. */
function targetOf(old: DriverScope, controllers: readonly ConfiguredController[], known: ReadonlyMap<string, DriverScope>, taken: ReadonlySet<string>): ConfiguredController | string {
  if (old.driver === undefined || old.points === undefined) return "written before this agent remembered which points a controller drives; which controller they belong to is unknown";
  const points = old.points;
  const candidates = controllers.filter((c) => c.driver === old.driver && points.length > 0 && points.every((p) => c.points.includes(p)));
  if (candidates.length === 0) return `no configured ${old.driver} controller drives all of its points ${points.join(", ")}`;
  if (candidates.length > 1) return `several controllers could be its new name (${candidates.map((c) => c.id).join(", ")})`;
  const target = candidates[0]!;
  const own = known.get(target.id);
  if (taken.has(target.id) || (own !== undefined && (own.entries > 0 || own.driver !== undefined))) return `controller ${target.id} already existed (it has records or points of its own)`;
  return target;
}

/** The alarm of records no configured controller owns (open transactions may be among them). */
export function orphanedRecordsAlarm(o: RecordsOrphaned): { code: string; message: string } {
  const points = o.points ? ` of point${o.points.length === 1 ? "" : "s"} ${o.points.join(", ")}` : "";
  return {
    code: "driver-records-orphaned",
    message:
      `drivers.sqlite holds ${o.records} record${o.records === 1 ? "" : "s"}${points} of controller "${o.scope}", which is no longer configured for them (${o.why}). ` +
      `An open transaction among them would never settle: put the id "${o.scope}" back in devices.controllers (or rename so one controller with the same driver drives all its points), then \`systemctl restart glase-agent\`. Nothing was deleted.`,
  };
}
