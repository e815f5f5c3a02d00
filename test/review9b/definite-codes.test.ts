// Review 2 of issue 9, findings E and F: definite codes the contract does not define as
// "not processed" still end preliminary flows without another read.
// E: a commitReservation answered 33 (or 20/29/37/11) parks "commit-rejected" at once. A hostile
//    Glase that applied it (strict: afterProcessing) leaves a PAID unread ⇒ reversed after 20 s.
// F: one getPaymentStatus answered 33/54 while awaiting the reservation finishes the flow "failed"
//    without cancelling the invoice: the customer confirms it in the app, the reservation holds the
//    customer's money unwatched until it lapses, and nobody cancels it (the POS flow reads on: pollOnRefused).
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
  dir = mkdtempSync(join(tmpdir(), "definite-codes-"));
  sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION), settings: { profile: "strict" } });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 300 });
  pumps = new InMemoryDispenser({ points: 2 });
  station = await openStation({ journalPath: join(dir, "journal.db"), endpoint: sim.endpoint, dispenser: pumps, pointIds: [1], settings: { glaseCallTimeoutMs: 1000 } });
  await station.engine.start();
});
afterEach(async () => {
  await station.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});
const flows = () => station.engine.snapshot().flows;
const invoices = () => sim.sim.dump().invoices.filter((i) => i.terminalId === TERMINALS[0]!.terminalId);

it("(E) a commit answered 33 but applied: the PAID is read, not reversed", async () => {
  sim.sim.injectFault({ operation: "commitReservation", kind: "result", resultCode: 33, afterProcessing: true, count: 1 });
  pumps.customerCall(1);
  const first = await until("flow", () => flows().find((f) => f.point === 1));
  await until("authorized", () => flows().find((f) => f.flowId === first.flowId && f.state === "authorized"));
  pumps.liftNozzle(1, "95");
  pumps.deliver(1, 2000);
  pumps.hangUp(1);
  await until("settled", () => flows().find((x) => x.flowId === first.flowId && (x.finished || x.parked)), 10000);
  await new Promise((r) => setTimeout(r, 500)); // the agent's chance to read it (on lead5 it is parked: no reads)
  sim.sim.advanceClock(25);
  // lead5: [["CANCELED", true]] — PAID reversed, 37.98 of fuel unpaid.
  expect(invoices().map((i) => [i.status, i.reversed])).toEqual([["PAID", false]]);
}, 20000);

it("(F) one 33 on a reservation poll: the invoice is not left open for the customer to reserve unwatched", async () => {
  sim.sim.injectFault({ operation: "getPaymentStatus", kind: "result", resultCode: 33, count: 1 });
  pumps.customerCall(1);
  const first = await until("flow", () => flows().find((f) => f.point === 1));
  const f = await until("flow ends or authorizes", () => flows().find((x) => x.flowId === first.flowId && (x.finished || x.state === "authorized")), 5000);
  await new Promise((r) => setTimeout(r, 600)); // auto customer confirms at 300 ms
  console.log("FLOW", f.state, JSON.stringify(invoices().map((i) => i.status)));
  // lead5: the flow finished "failed" after one 33, the invoice sits RESERVED (customer's money held, pump never authorized).
  const held = f.finished ? invoices().filter((i) => i.status === "RESERVED" || i.status === "ISSUED") : [];
  expect(held).toEqual([]);
}, 20000);
