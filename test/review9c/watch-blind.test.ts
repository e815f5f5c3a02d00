// Review 3 of issue 9, finding J: the reservation watch (preliminary-watch.ts) is blind while
// status reads fail. A flow whose sendInvoice answer was lost (sendLost: it KNOWS a late invoice may
// land) keeps the pump running on an unconfirmed reservation for as long as getPaymentStatus times
// out: a failed watch read is dropped (onWatchAnswer: `o.kind !== "ok"` ⇒ same), the next one waits
// the whole watch interval, and nothing ever stops the pump. Here the late invoice supersedes the
// reservation while every status read hangs past the call timeout: the customer fuels 20 L unpaid.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { InMemoryDispenser } from "../../drivers/dispenser/in-memory.ts";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { PROVISION, TERMINALS, openStation, until, type Station } from "../flows/harness/station.ts";

let dir: string | undefined;
let sim: RunningGlaseSimulator | undefined;
let station: Station | undefined;
afterEach(async () => {
  await station?.close();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  station = sim = dir = undefined;
});

it("(J) late invoice supersedes the running reservation while every status read times out: the pump is never stopped", async () => {
  dir = mkdtempSync(join(tmpdir(), "rv9c-j-"));
  sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION), settings: { profile: "strict" } });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 100 });
  const pumps = new InMemoryDispenser({ points: 2 });
  station = await openStation({ journalPath: join(dir, "journal.db"), endpoint: sim.endpoint, dispenser: pumps, pointIds: [1], settings: { glaseCallTimeoutMs: 600, deliveryStallMs: 20000, nozzleLiftTimeoutMs: 20000 } });
  await station.engine.start();
  sim.sim.injectFault({ operation: "sendInvoice", kind: "latency", latencyMs: 3000, count: 1 });
  pumps.customerCall(1);
  const f = await until("flow", () => station!.engine.snapshot().flows.find((x) => x.point === 1));
  await until("authorized", () => station!.engine.snapshot().flows.find((x) => x.flowId === f.flowId && x.state === "authorized"), 10000);
  // From now on every status read hangs past the 600-ms call timeout (a slow / overloaded Glase).
  sim.sim.injectFault({ operation: "getPaymentStatus", kind: "latency", latencyMs: 900, count: 1000 });
  pumps.liftNozzle(1, "95");
  pumps.deliver(1, 500);
  await until("late invoice", () => sim!.sim.dump().invoices.filter((i) => i.terminalId === TERMINALS[0]!.terminalId).length >= 2, 6000);
  // h9f: the pump may already be stopped (reservation-unconfirmed) and the 500 ml committed before the
  // late invoice lands; then nothing was CANCELED under it. Either way the pump must be stopped.
  const statuses = sim.sim.dump().invoices.filter((i) => i.terminalId === TERMINALS[0]!.terminalId).map((i) => i.status);
  expect(statuses.includes("CANCELED") || statuses.includes("PAID")).toBe(true);
  // lead5 3f86079: no alarm ever, and the pump still delivers on the cancelled reservation (20 000 ml more accepted).
  await until("reservation-unconfirmed", () => station!.engine.snapshot().alarms.find((a) => a.flowId === f.flowId && a.code === "reservation-unconfirmed"), 5000);
  await until("pump stopped", () => station!.engine.snapshot().flows.find((x) => x.flowId === f.flowId && x.state !== "authorized" && x.state !== "delivering"), 5000);
  expect(pumps.deliver(1, 20000)).toBe(0);
}, 30000);
