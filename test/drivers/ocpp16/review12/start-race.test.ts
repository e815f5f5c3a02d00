// Review 12 #2: Sessions.onStartTransaction reads the sale, awaits a durable write (the
// transaction-id counter), then writes `{ ...staleSale, state: "delivering" }`. Anything that
// changed the sale during that await is overwritten — here the pending cancel of an unstarted
// session (the lateStopWaitS timer, armed exactly for the case "a queued StartTransaction may
// still come") finishes the sale and reports `end` 0 Wh (the flow cancels the invoice), then the
// StartTransaction resurrects it as delivering, answers Accepted, and its StopTransaction reports
// a SECOND `end`. The window is one durable write: a SQLite fsync, tens of ms on an SD card.
// Expected: re-read the sale after every await (or allocate under the same per-sale lock) and
// refuse (Invalid) a start for a sale that ended meanwhile; one `end` per flow, always.
import { expect, it } from "vitest";
import { MemoryDriverStore } from "../../../../drivers/driver-store.ts";
import { authorizeCmd, isEnd, openRig, testConfig, waitUntil } from "../helpers.ts";
import { bootAndPlugIn, handCharger } from "./hand.ts";

/** The journal-backed store, with the fsync of one key taking `ms` (a slow SD card). */
class SlowCounterStore extends MemoryDriverStore {
  slowMs = 0;
  override async put(key: string, value: unknown): Promise<void> {
    if (key.endsWith("next-transaction-id") && this.slowMs > 0) await new Promise((r) => setTimeout(r, this.slowMs));
    return super.put(key, value);
  }
}

it("a StartTransaction racing the cancel of its unstarted session: one end, not a cancel and then a paid-for-nothing delivery", async () => {
  const store = new SlowCounterStore();
  const rig = await openRig(testConfig({ lateStopWaitS: 3 }), { store });
  const cp = await handCharger(`${rig.driver.url}/CP-1`);
  const connectedAt = Date.now();
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd());
  const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction")) as [number, string, string, { idTag: string }];
  await waitUntil(() => Date.now() - connectedAt > 1000);
  // The customer cancels in the app (the flow stops the point): cancel armed for connectedAt + 3 s.
  void rig.driver.stop(1).catch(() => undefined);
  // The charger's StartTransaction (it had started on the RemoteStart) arrives now; its counter
  // write takes 2.5 s, so the cancel timer fires in the middle of it.
  store.slowMs = 2500;
  const st = (await cp.call("StartTransaction", { connectorId: 1, idTag: rs[3].idTag, meterStart: 1000, timestamp: new Date().toISOString() }, 10_000)) as { transactionId: number; idTagInfo: { status: string } };
  store.slowMs = 0;
  await rig.events.waitFor(isEnd, 5_000);
  // The charger obeys whatever it was told: it charged on "Accepted", stops on the RemoteStop.
  if (st.idTagInfo.status === "Accepted") {
    await cp.call("StopTransaction", { transactionId: st.transactionId, meterStop: 3000, timestamp: new Date().toISOString(), reason: "Remote" });
  }
  await cp.call("Heartbeat", {});
  const ends = rig.events.events.filter(isEnd).map((e) => ({ milli: e.milli, reason: e.reason }));
  // main: [{ milli: 0, reason: "stopped" }, { milli: 2000, reason: "stopped" }] with the start Accepted
  expect({ start: st.idTagInfo.status, ends }).toEqual(st.idTagInfo.status === "Accepted" ? { start: "Accepted", ends: [{ milli: 2000, reason: "stopped" }] } : { start: "Invalid", ends: [{ milli: 0, reason: "stopped" }] });
  // The cancel won here (its timer fires inside the slow write): the start is refused and, in
  // case the charger charges anyway, the transaction it was given is stopped.
  expect(st.idTagInfo.status).toBe("Invalid");
  await cp.waitFor((f) => f[2] === "RemoteStopTransaction" && (f[3] as { transactionId: number }).transactionId === st.transactionId);
  cp.close();
});
