// Issue 9 review #3 end to end, strict simulator: one getPaymentStatus answered 33 right after an
// accepted commit used to park the flow, so the PAID went unread and Glase reversed it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { InMemoryDispenser } from "../../drivers/dispenser/in-memory.ts";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { PROVISION, TERMINALS, openStation, until, type Station } from "./harness/station.ts";

let dir: string;
let sim: RunningGlaseSimulator;
let station: Station;
let pumps: InMemoryDispenser;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "status-refused-"));
  sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION), settings: { profile: "strict" } });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 150 });
  pumps = new InMemoryDispenser({ points: 2 });
  station = await openStation({ journalPath: join(dir, "journal.db"), endpoint: sim.endpoint, dispenser: pumps, settings: { glaseCallTimeoutMs: 1000 } });
  await station.engine.start();
});
afterEach(async () => {
  await station.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});
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
