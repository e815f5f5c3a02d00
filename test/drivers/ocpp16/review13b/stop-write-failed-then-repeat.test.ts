// Review 13b #1 (HIGH): one failed durable write of a session's end loses the end.
// finish() (session-ending.ts) records the sale "finished" in memory before its write is durable
// (sales.ts put: "in memory at once"). When that write fails (SQLITE_FULL / SQLITE_BUSY / EIO, a
// single transient failure), the StopTransaction is left unanswered (driver.ts: NOREPLY, "not
// durable, so not acknowledged: the charger sends it again") — but when the charger sends it
// again, onStopTransaction (sessions.ts) finds the sale "finished" in memory, endedBy "charger",
// and answers it as a *repeat*: the charger drops its StopTransaction although nothing durable
// records it, no `end` event is ever emitted, and no alarm either. The store still says
// "delivering": after an agent restart the session waits for a StopTransaction the charger
// has already had acknowledged, and is settled from progress (or at 0 Wh for a charger whose
// samples carry no register), never at its meterStop.
// Sequence: session, sample 1500 Wh; one failed put on the StopTransaction (meterStop 3000);
// the charger sends the same StopTransaction again (store healthy); agent restarts.
import { expect, it } from "vitest";
import { MemoryDriverStore } from "../../../../contracts/driver-store.ts";
import { authorizeCmd, isEnd, openRig, testConfig, waitUntil } from "../helpers.ts";
import { bootAndPlugIn, handCharger, sample, startTransaction } from "../review12/hand.ts";

class OnceFailingStore extends MemoryDriverStore {
  failNext = 0;
  private okBefore = 0;
  /** The next `ok` puts succeed, the one after fails once. */
  failAfter(ok: number): void {
    this.okBefore = ok;
    this.failNext = 1;
  }
  override async put(key: string, value: unknown): Promise<void> {
    if (this.failNext > 0 && this.okBefore > 0) this.okBefore--;
    else if (this.failNext > 0) {
      this.failNext--;
      throw Object.assign(new Error("SQLITE_BUSY: database is locked"), { code: "SQLITE_BUSY" });
    }
    return super.put(key, value);
  }
}

it("a StopTransaction whose end write failed once is settled when the charger sends it again", async () => {
  const store = new OnceFailingStore();
  const config = testConfig({ chargerSecondMs: 1000, chargers: [{ id: "CP-1", maxPowerW: 22_000, connectors: [{ connectorId: 1, point: 1 }] }] });
  const rig = await openRig(config, { store });
  const cp = await handCharger(`${rig.driver.url}/CP-1`);
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd({ limitMinor: 100_000 }));
  const { tx, stampedAt } = await startTransaction(cp);
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  await cp.call("MeterValues", sample(tx, 1010));
  const stop = { transactionId: tx, meterStop: 1020, timestamp: new Date(Math.max(Date.now(), stampedAt)).toISOString(), reason: "EVDisconnected" };

  store.failNext = 1; // the end's write fails once (a busy or full disk for a moment)
  await expect(cp.call("StopTransaction", stop, 1_000)).rejects.toThrow(/unanswered/); // not durable: not acknowledged (right)
  // The charger sends it again, as it must; the store works again.
  const answer = await cp.call("StopTransaction", stop, 3_000);
  expect(answer).toEqual({}); // acknowledged now: the charger drops it from its queue

  // Acknowledged, so it must be settled: an end of 20 Wh, durable.
  await waitUntil(() => rig.events.events.some(isEnd), 2_000, "the session's end").catch(() => undefined);
  const ends = rig.events.events.filter(isEnd);
  const durable = (await store.list("sale/")).map((r) => r.value as { transactionId: string; state: string; milli: number }).find((s) => s.transactionId === "P1-flow-1");
  cp.close();
  // The store is what a restarted agent has: there the session is still "delivering", and the
  // charger will never send this StopTransaction again (it was acknowledged).
  expect({ ends: ends.map((e) => e.milli), durableState: durable?.state }).toEqual({ ends: [20], durableState: "finished" });
}, 20_000);

// The same for the start (sessions.ts onStartTransaction): the "delivering" sale with its
// transactionId is in memory before its write; the write fails once (NOREPLY), the charger sends
// the StartTransaction again and the first check answers it from memory (Accepted, same id) —
// the store still says "authorized", with no transaction id. After an agent restart the charger's
// StopTransaction names a transaction the agent does not know ("stop_of_unknown_transaction"),
// and the session is cancelled when the cable comes out: a whole charge delivered, 0 Wh billed.
it("a StartTransaction whose write failed once is still the session's after a restart", async () => {
  const store = new OnceFailingStore();
  const config = testConfig({ chargerSecondMs: 1000, chargers: [{ id: "CP-1", maxPowerW: 22_000, connectors: [{ connectorId: 1, point: 1 }] }] });
  const rig = await openRig(config, { store });
  const cp = await handCharger(`${rig.driver.url}/CP-1`);
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd({ limitMinor: 100_000 }));
  const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction")) as [number, string, string, { idTag: string }];
  const start = { connectorId: 1, idTag: rs[3].idTag, meterStart: 1000, timestamp: new Date().toISOString() };
  // The transaction id's counter is written; the started sale's write fails (a disk busy for a moment).
  store.failAfter(1);
  await expect(cp.call("StartTransaction", start, 1_000)).rejects.toThrow(/unanswered/); // not durable: not acknowledged (right)
  const { transactionId: tx, idTagInfo } = (await cp.call("StartTransaction", start, 3_000)) as { transactionId: number; idTagInfo: { status: string } };
  expect(idTagInfo.status).toBe("Accepted"); // acknowledged: the charger charges under tx
  cp.status = "Charging";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  cp.close();
  await cp.closed;
  // The agent restarts (a SIGKILL, an update) while the car charges; the charger comes back and ends its transaction.
  const again = await rig.restart();
  const cp2 = await handCharger(`${again.driver.url}/CP-1`);
  await cp2.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  cp2.status = "Finishing";
  await cp2.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  await cp2.call("StopTransaction", { transactionId: tx, meterStop: 1020, timestamp: new Date().toISOString(), reason: "EVDisconnected" });
  cp2.status = "Available";
  await cp2.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
  const end = (await again.events.waitFor(isEnd, 8_000, "the session's end")) as { milli: number; reason: string };
  cp2.close();
  // Settled at its meterStop (20 Wh), not cancelled at 0 Wh. Its reason is "nozzle-down" either way:
  // that is what a StopTransaction of reason EVDisconnected maps to (readings.ts endReasonOf).
  expect({ milli: end.milli, reason: end.reason }).toEqual({ milli: 20, reason: "nozzle-down" });
}, 20_000);
