// Review 2 of issue 9, finding A: clientRequestTimeout is 0 (§4.1: "no server-enforced client
// timeout"), so Glase may apply a commit later than the agent's "two call timeouts". A commit sent
// close to the commit deadline whose answer is lost: the agent reads RESERVED after 2 timeouts,
// is past the deadline, PARKS (no more reads) — then the late commit lands, PAID goes unread and is
// reversed after 20 s: fuel delivered, nothing paid. Strict simulator, SOAP over loopback.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { InMemoryDispenser } from "../../drivers/dispenser/in-memory.ts";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { PROVISION, TERMINALS, openStation, until, type Station } from "../flows/harness/station.ts";

let dir: string;
let sim: RunningGlaseSimulator;
let station: Station;
let pumps: InMemoryDispenser;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "late-commit-"));
  sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION), settings: { profile: "strict" } });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 100 });
  pumps = new InMemoryDispenser({ points: 2 });
  // lapse 6 s after send; delivery stopped at 4 s (lapse timer), commit deadline 5 s.
  station = await openStation({
    journalPath: join(dir, "journal.db"),
    endpoint: sim.endpoint,
    dispenser: pumps,
    pointIds: [1],
    settings: { commitReservationTimeoutS: 6, commitSafetyMarginS: 1, glaseCallTimeoutMs: 600, deliveryStallMs: 20000, nozzleLiftTimeoutMs: 20000 },
  });
  await station.engine.start();
});
afterEach(async () => {
  await station.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});
const flows = () => station.engine.snapshot().flows;

it("a commit applied 1.4 s late (answer lost) right before the commit deadline: its PAID is read, not reversed", async () => {
  sim.sim.injectFault({ operation: "commitReservation", kind: "latency", latencyMs: 1400, count: 1 });
  pumps.customerCall(1);
  const first = await until("flow", () => flows().find((f) => f.point === 1));
  await until("authorized", () => flows().find((f) => f.flowId === first.flowId && f.state === "authorized"));
  pumps.liftNozzle(1, "95");
  pumps.deliver(1, 2000); // the pump keeps the sale open: the lapse timer stops it at 4 s
  const f = await until("settled", () => flows().find((x) => x.flowId === first.flowId && (x.finished || x.parked)), 10000);
  await until("late commit applied", () => sim.sim.dump().invoices.find((i) => i.terminalId === TERMINALS[0]!.terminalId && i.status !== "RESERVED"), 5000);
  await new Promise((r) => setTimeout(r, 500)); // give the agent every chance to read it (it does not)
  sim.sim.advanceClock(25);
  const inv = sim.sim.dump().invoices.filter((i) => i.terminalId === TERMINALS[0]!.terminalId);
  // lead5: f.parked (settlement-parked "still RESERVED at the commit deadline"), invoice PAID then reversed.
  expect(inv.map((i) => [i.status, i.reversed])).toEqual([["PAID", false]]);
  expect(f.parked).toBe(false);
}, 20000);
