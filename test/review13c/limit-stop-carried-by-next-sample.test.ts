// Review 13c #1 (HIGH, regression of 49c76b9 / R13b-1): a limit stop whose write fails while the
// next sample's write is already queued behind it is never sent.
// SaleBook.put (sales.ts) takes a failed change back "unless a later change of the same session is
// already there (its own write carries this one whole)". requestStop (session-ending.ts) puts
// { stop }, and the charger's next MeterValues — handled while that write is on its way (the limit
// stop is `void`, the MeterValues answer does not wait for it) — builds its sale from memory, which
// already holds `stop`, and queues it. The stop's write fails: no rollback (a later change is
// there); requestStop rejects (OCPP_DRIVER_FAILED) before sendStop; the next sample's write lands
// with `stop` in it — durable. Every later sample sees `now.stop` set and asks for no stop; nothing
// else sends it before the session-time stop (maxSessionS) or a reconnect. The charger charges on
// past the reservation: energy the reservation does not cover, delivered for nothing.
// Sequence: limit 1000 (≈ 2865 Wh at 3.49/kWh); sample 2500 Wh asks for the limit stop; its write
// takes 300 ms and then fails (SQLITE_BUSY); the charger's next sample (2550 Wh) arrives meanwhile;
// the store is healthy from then on; the charger charges on to 6000 Wh.
import { expect, it } from "vitest";
import { MemoryDriverStore } from "../../contracts/driver-store.ts";
import { authorizeCmd, isCall, isFault, openRig, synced, testConfig } from "../drivers/ocpp16/helpers.ts";
import { handCharger } from "../drivers/ocpp16/review12/hand.ts";

class SlowFailingStore extends MemoryDriverStore {
  /** Puts that succeed before the one that is slow and fails (Infinity: all succeed). */
  okPuts = Infinity;
  override async put(key: string, value: unknown): Promise<void> {
    if (this.okPuts-- === 0) {
      await new Promise((r) => setTimeout(r, 300));
      throw Object.assign(new Error("SQLITE_BUSY: database is locked"), { code: "SQLITE_BUSY" });
    }
    return super.put(key, value);
  }
}

it("a limit stop whose failed write was carried by the next sample's write is still sent", async () => {
  const store = new SlowFailingStore();
  const rig = await openRig(testConfig({ chargerSecondMs: 1000, maxSessionS: 3600 }), { store });
  const cp = await handCharger(`${rig.driver.url}/CP-1`, { trigger: false });
  await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
  await synced(rig);
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Preparing" });
  await rig.events.waitFor(isCall);
  await rig.driver.authorize(authorizeCmd({ limitMinor: 1000 }));
  const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction")) as [number, string, string, { idTag: string }];
  const { transactionId: tx } = (await cp.call("StartTransaction", { connectorId: 1, idTag: rs[3].idTag, meterStart: 0, timestamp: new Date().toISOString() })) as { transactionId: number };
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  const mv = (wh: number) => ({ connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: String(wh), unit: "Wh" }] }] });
  store.okPuts = 2; // the meter clock's bound and the sample are written; the limit stop's write is slow, then fails
  await cp.call("MeterValues", mv(2500));
  await cp.call("MeterValues", mv(2550)); // the charger's next sample, while the stop's write is on its way
  await new Promise((r) => setTimeout(r, 500)); // the stop's write has failed; the store is healthy again
  const driverFailed = rig.events.events.some((e) => isFault(e) && e.code === "OCPP_DRIVER_FAILED");
  // The charger charges on past the reservation (its own sampling pace).
  for (let wh = 2600; wh <= 6000 && !cp.received.some((f) => f[2] === "RemoteStopTransaction"); wh += 100) {
    await cp.call("MeterValues", mv(wh));
    await new Promise((r) => setTimeout(r, 50));
  }
  const stops = cp.received.filter((f) => f[2] === "RemoteStopTransaction");
  const durable = (await store.list("sale/")).map((r) => r.value as { stop?: unknown; milli: number })[0];
  cp.close();
  expect({ driverFailed, durableStop: durable?.stop !== undefined }).toEqual({ driverFailed: true, durableStop: true }); // the sequence happened as described
  expect(stops.length).toBeGreaterThan(0); // fails: no RemoteStop, the charger delivers 6000 Wh on a 2865 Wh reservation
}, 30_000);
