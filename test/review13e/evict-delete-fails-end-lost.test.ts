// Review 13e E2: SaleBook.put's write also deletes the finished sales evicted past
// saleRecordCapacity, in the same queued step — after the sale itself is durable (and `durable`
// updated). A failed delete rejects the put as if the change were not durable, with nothing taken
// back: a StopTransaction's finish is told its end failed though the session is finished in the
// store and in memory. finish() throws before the `end` event, the call goes unanswered, and the
// charger's re-sent StopTransaction is answered as a repeat of a finished session: the end (and its
// money alarm, if any) is never reported in this process — the flow hears of it only if it reads
// saleRecord on its own (stall rule).
import { expect, it } from "vitest";
import { MemoryDriverStore } from "../../contracts/driver-store.ts";
import { authorizeCmd, isCall, isEnd, openRig, synced, testConfig } from "../drivers/ocpp16/helpers.ts";
import { handCharger, type HandCharger } from "../drivers/ocpp16/review12/hand.ts";

class DeleteFailsOnce extends MemoryDriverStore {
  armed = false;
  failed = 0;
  override async delete(key: string): Promise<void> {
    if (this.armed && key.startsWith("sale/")) {
      this.armed = false;
      this.failed++;
      throw Object.assign(new Error("SQLITE_BUSY: database is locked"), { code: "SQLITE_BUSY" });
    }
    return super.delete(key);
  }
}

async function session(rig: Awaited<ReturnType<typeof openRig>>, cp: HandCharger, flow: string, meterStop: number, before?: () => void): Promise<void> {
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Preparing" });
  await rig.events.waitFor((e) => isCall(e) && rig.events.events.filter(isCall).length >= 1);
  await rig.driver.authorize(authorizeCmd({ transactionId: flow, limitMinor: 30_000 }));
  const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction" && (f[3] as { idTag: string }).idTag === flow)) as [number, string, string, { idTag: string }];
  const { transactionId: tx } = (await cp.call("StartTransaction", { connectorId: 1, idTag: rs[3].idTag, meterStart: 1000, timestamp: new Date().toISOString() })) as { transactionId: number };
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  before?.();
  const stop = { transactionId: tx, meterStop: 1000 + meterStop, timestamp: new Date().toISOString(), reason: "EVDisconnected" };
  // A charger re-sends an unanswered StopTransaction (OCPP 1.6 §4.10): up to three times here.
  for (let i = 0; i < 3; i++) {
    const answered = await cp.call("StopTransaction", stop, 1500).then(
      () => true,
      () => false,
    );
    if (answered) break;
  }
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
}

it("a finish whose sale is durable but whose eviction delete failed still reports its end", async () => {
  const store = new DeleteFailsOnce();
  const rig = await openRig(testConfig({ chargerSecondMs: 1000, maxSessionS: 3600, saleRecordCapacity: 1 }), { store });
  const cp = await handCharger(`${rig.driver.url}/CP-1`, { trigger: false });
  await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
  await synced(rig);

  await session(rig, cp, "P1-flow-1", 5);
  await rig.events.waitFor((e) => isEnd(e) && e.transactionId === "P1-flow-1", 5_000);

  // Second session: its finish evicts flow-1 (capacity 1), and that delete fails once.
  await session(rig, cp, "P1-flow-2", 7, () => (store.armed = true));
  expect(store.failed).toBe(1);
  // The session is finished in the store…
  expect(await rig.driver.saleRecord("P1-flow-2")).toMatchObject({ state: "finished", milli: 7 });
  // …but its end was never reported (fails: no end event for flow-2).
  await new Promise((r) => setTimeout(r, 500));
  expect(rig.events.events.filter((e) => isEnd(e) && e.transactionId === "P1-flow-2")).toHaveLength(1);
  cp.close();
}, 30_000);
