// The crash child's OCPP and PTS-2 devices: the real drivers on the drivers' real SQLite store,
// whose writes count as kill boundaries like the journal's (a driver writes before it answers, so a
// kill between the two must be survivable too).
import type { PointConfig } from "../../../agent/engine-api.ts";
import { openDriverStores } from "../../../agent/journal/driver-store.ts";
import { createLogger } from "../../../agent/log.ts";
import type { DispenserController } from "../../../drivers/dispenser/contract.ts";
import { systemScheduler } from "../../../drivers/dispenser/line-driver.ts";
import { openOcpp16Controller } from "../../../drivers/ocpp16/index.ts";
import { openPts2Controller } from "../../../drivers/pts2/index.ts";
import { TERMINALS } from "./station.ts";

export const CHILD_AC = { id: "AC22", name: "AC 22 kW", unitPriceMinor: 349, vatRatePercent: 25 };
export const CHILD_95 = { id: "95", ptsFuelGradeId: 1, name: "Blyfri 95", unitPriceMinor: 1899, vatRatePercent: 25 };

export async function openChildDevice(kind: "ocpp" | "pts", env: NodeJS.ProcessEnv, boundary: (label: string) => void): Promise<{ dispenser: DispenserController; points: PointConfig[] }> {
  let seeding = false;
  const stores = await openDriverStores(env.DRIVER_STORE!, (phase, op, _scope, key) => (seeding ? undefined : boundary(`${phase}:driver:${op}:${key.split(":")[0]}`)));
  const deps = { logger: createLogger(`child.${kind}`), scheduler: systemScheduler, store: stores.scoped(kind) };
  if (kind === "pts" && (await deps.store.get("meta/userVerified")) === undefined) {
    // A station that has sold before: the controller has corroborated the agent's user id 1 (the
    // twin's HTTP user). On a fresh install the first lost answer parks for a technician by design
    // (review 4, R4-1; test/drivers/pts2/review4*.test.ts): the campaign is about crash recovery.
    // Written outside the boundary count (it is the station's past, not this sale's).
    seeding = true;
    await deps.store.put("meta/userVerified", { userId: 1 });
    seeding = false;
  }
  const point = (grade: { id: string; name: string; unitPriceMinor: number; vatRatePercent: number }, unit: "L" | "kWh", kindOf: "fuel" | "ev"): PointConfig => ({
    id: 1,
    kind: kindOf,
    terminal: TERMINALS[0]!,
    currency: "SEK",
    maxPreliminaryMinor: 50000,
    stationName: "Crash Station",
    grades: [{ id: grade.id, name: grade.name, unit, unitPriceMinor: grade.unitPriceMinor, vatRatePercent: grade.vatRatePercent }],
  });
  if (kind === "ocpp") {
    const dispenser = await openOcpp16Controller(
      {
        listen: { host: "127.0.0.1", port: Number(env.OCPP_PORT), path: "/ocpp" },
        currency: "SEK",
        grades: [CHILD_AC],
        chargers: [{ id: "CP-1", connectors: [{ connectorId: 1, point: 1 }] }],
        // 10 charger seconds = 0.5 s here: a few progress records per session, not one per tick.
        meterSampleIntervalS: 10,
        chargerSecondMs: 50, // the crash campaign's virtual charger runs secondMs 50
        syncTimeoutS: 1,
        lateStopWaitS: 3,
        stopTimeoutS: 3,
        maxSessionS: 40,
      },
      deps,
    );
    return { dispenser, points: [point(CHILD_AC, "kWh", "ev")] };
  }
  const dispenser = await openPts2Controller(
    { url: env.PTS_URL!, auth: { scheme: "none" }, controllerUserId: 1, currency: "SEK", points: [{ point: 1, pump: 1 }], grades: [CHILD_95], pollIntervalMs: 50, closeUnsettledAfterMs: 60_000 },
    deps,
  );
  return { dispenser, points: [point(CHILD_95, "L", "fuel")] };
}
