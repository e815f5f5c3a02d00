// Issue 9 review #3 end to end, strict simulator: one getPaymentStatus answered 33 right after an
// accepted commit used to park the flow, so the PAID went unread and Glase reversed it.
import { afterEach, beforeEach, expect, it } from "vitest";
import { InMemoryDispenser } from "../../drivers/dispenser/in-memory.ts";
import type { RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { TERMINALS, until, type Station } from "./harness/station.ts";
import { closeStrictStation, openStrictStation } from "./harness/strict-station.ts";

let dir: string, sim: RunningGlaseSimulator, station: Station;
let pumps: InMemoryDispenser;
beforeEach(async () => {
  pumps = new InMemoryDispenser({ points: 2 });
  ({ dir, sim, station } = await openStrictStation({ dirPrefix: "status-refused-", dispenser: pumps, confirmAfterMs: 150, settings: { glaseCallTimeoutMs: 1000 } }));
});
afterEach(() => closeStrictStation({ dir, sim, station }));
const flows = () => station.engine.snapshot().flows;

it("a 33 on the read after an accepted commit: the reads go on, the PAID is read (not reversed), the flow finishes paid", async () => {
  sim.sim.injectFault({ operation: "getPaymentStatus", whenStatus: "PAID", count: 1, kind: "result", resultCode: 33 });
  pumps.customerCall(1);
  const first = await until("flow", () => flows().find((f) => f.point === 1));
  await until("authorized", () => flows().find((f) => f.flowId === first.flowId && f.state === "authorized"));
  pumps.liftNozzle(1, "95");
  pumps.deliver(1, 2000);
  pumps.hangUp(1);
  const f = await until("settled", () => flows().find((x) => x.flowId === first.flowId && (x.finished || x.parked)), 30000);
  sim.sim.advanceClock(25);
  const inv = sim.sim.dump().invoices.filter((i) => i.terminalId === TERMINALS[0]!.terminalId);
  expect(f.parked).toBe(false);
  expect(inv.map((i) => [i.status, i.reversed])).toEqual([["PAID", false]]);
}, 40000);
