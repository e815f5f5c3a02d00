// Review 12f #3: the flood limit (charger-link.ts, flood-bucket.ts) charges a token only for a call
// PIPELINED behind an unanswered one. A charger that waits for each answer is never limited — at
// any rate. Here one charger sends StartTransaction with a tag the agent never issued, each
// right after the previous answer: every one costs the agent a durable write (a fresh transaction
// id, sales.ts:137), a WARN log line (start_refused) and an outgoing RemoteStopTransaction
// (stopStray) — thousands a second on loopback, all on the one event loop and journal the other
// chargers and the payment flows share. Heartbeat, StatusNotification (errorCode ≠ NoError logs a
// WARN each time) and Authorize are free the same way.
// Expected: no charger gets more than maxCallsPerSecond (20/s here, its burst of 4 s on top)
// handled — throttled (answers delayed) or closed; never an unbounded stream of durable writes.
import { expect, it } from "vitest";
import { MemoryDriverStore } from "../../../../contracts/driver-store.ts";
import { openRig, synced, testConfig } from "../helpers.ts";
import { handCharger } from "../review12/hand.ts";

class CountingStore extends MemoryDriverStore {
  puts = 0;
  override async put(key: string, value: unknown): Promise<void> {
    this.puts++;
    return super.put(key, value);
  }
}

it("a charger that waits for each answer cannot make the agent do unbounded durable writes", async () => {
  const store = new CountingStore();
  const rig = await openRig(testConfig({ maxCallsPerSecond: 20 }), { store });
  const cp = await handCharger(`${rig.driver.url}/CP-1`, { trigger: false });
  await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
  await synced(rig);
  let open = true;
  void cp.closed.then(() => (open = false));
  const before = store.puts;
  const t0 = Date.now();
  let answered = 0;
  while (open && Date.now() - t0 < 2_000) {
    const a = await cp.call("StartTransaction", { connectorId: 1, idTag: `junk${answered}`, meterStart: 0, timestamp: new Date().toISOString() }, 3_000).catch(() => undefined);
    if (a === undefined) break;
    answered++;
  }
  const elapsedS = (Date.now() - t0) / 1000;
  const writes = store.puts - before;
  const stops = cp.received.filter((f) => f[2] === "RemoteStopTransaction").length;
  console.log(`review12f flood: ${answered} StartTransaction answered in ${elapsedS.toFixed(2)} s, ${writes} durable writes, ${stops} RemoteStops sent, link ${open ? "open" : "closed"}`);
  expect(answered).toBeLessThanOrEqual(Math.ceil(20 * elapsedS) + 80);
  cp.close();
}, 15_000);
