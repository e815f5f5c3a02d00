// Review 12d #6: the session cap (module.ts sessionLimitS) keeps the agent's RemoteStop one
// commit margin before the commit deadline, but an ignored stop is only judged stopTimeoutS
// later (sessions.ts onStopTimeout) — and that is not counted. With the defaults (stopTimeoutS 60,
// commitSafetyMarginS 60) the overrun verdict lands exactly on the commit deadline; an operator
// who gives slow chargers stopTimeoutS 120 gets it at the lapse: the overrun end reaches a flow
// that can no longer commit (reservation lapsed, the charger's energy unpaid). Neither the config
// check nor the cap says so. Expected: check() names stopTimeoutS (or the cap subtracts it).
// FAILS on lead5: check() returns no problem, the cap ignores stopTimeoutS.
import { expect, it } from "vitest";
import { ocpp16Driver, ocpp16EntrySchema, sessionLimitS } from "../../../../drivers/ocpp16/module.ts";

const station = { name: "S", currency: "SEK", points: [{ id: 1, kind: "ev" as const, grades: ["AC22"], maxPreliminaryMinor: 30000, commitReservationTimeoutS: 900 }], flows: { reservationWaitS: 60, commitSafetyMarginS: 60 } };
const entry = (stopTimeoutS: number) =>
  ocpp16EntrySchema.parse({ id: "chargers", driver: "ocpp16", currency: "SEK", stopTimeoutS, grades: [{ id: "AC22", name: "AC", unitPriceMinor: 349, vatRatePercent: 25 }], chargers: [{ id: "CP-1", connectors: [{ connectorId: 1, point: 1 }] }] });

it("an ignored RemoteStop is judged before the commit deadline: stopTimeoutS counts in the session cap or is refused", () => {
  const c = entry(120);
  // the worst case: authorized at once (reservation clock started reservationWaitS before), stopped at the cap, judged stopTimeoutS later
  const verdictAfterSentS = station.flows.reservationWaitS + sessionLimitS(c, station) + c.stopTimeoutS;
  const commitDeadlineS = 900 - station.flows.commitSafetyMarginS;
  const refused = ocpp16Driver.check!(c, station as never).some((p) => p.path.includes("stopTimeoutS"));
  expect({ verdictBeforeDeadline: verdictAfterSentS < commitDeadlineS || refused }).toEqual({ verdictBeforeDeadline: true });
});
