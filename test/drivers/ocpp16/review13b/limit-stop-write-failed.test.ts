// Review 13b #1b (HIGH, same root as stop-write-failed-then-repeat): the limit stop's write
// failing once means the limit stop is never sent. requestStop (session-ending.ts) records
// `stop` in memory (sales.ts put: "in memory at once"), its write fails, sendStop never runs; the
// next MeterValues sees `now.stop` set and asks for no stop again; the OCPP_DRIVER_FAILED alarm says
// "the step is tried again by the session's next timer, stop or reconnect" — the next timer is the
// session-time stop (maxSessionS: hours). Meanwhile the charger charges on past the reservation:
// energy the customer's reservation does not cover, delivered for nothing.
// Sequence (as background-failure.test.ts): limit 1000 (≈ 2865 Wh at 3.49/kWh); a sample of 2500 Wh
// asks for the limit stop, whose write fails once; the store is healthy again; the charger
// charges on, a sample every 200 ms (its own pace), up to 6000 Wh.
import { expect, it } from "vitest";
import { MemoryDriverStore } from "../../../../contracts/driver-store.ts";
import { authorizeCmd, isCall, isFault, openRig, synced, testConfig, waitUntil } from "../helpers.ts";
import { handCharger } from "../review12/hand.ts";

class FailingStore extends MemoryDriverStore {
  okPuts = Infinity;
  override async put(key: string, value: unknown): Promise<void> {
    if (this.okPuts-- <= 0) throw Object.assign(new Error("SQLITE_BUSY: database is locked"), { code: "SQLITE_BUSY" });
    return super.put(key, value);
  }
}

it("a limit stop whose write failed once is still sent while the charger charges past the reservation", async () => {
  const store = new FailingStore();
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
  store.okPuts = 2; // the meter clock's bound and the sample are written; the limit stop's write fails
  await cp.call("MeterValues", mv(2500));
  await waitUntil(() => rig.events.events.some((e) => isFault(e) && e.code === "OCPP_DRIVER_FAILED"), 5_000, "OCPP_DRIVER_FAILED");
  store.okPuts = Infinity; // the disk is fine again
  // The charger charges on past the reservation (its own sampling pace).
  for (let wh = 2600; wh <= 6000 && !cp.received.some((f) => f[2] === "RemoteStopTransaction"); wh += 100) {
    await cp.call("MeterValues", mv(wh));
    await new Promise((r) => setTimeout(r, 100));
  }
  const stops = cp.received.filter((f) => f[2] === "RemoteStopTransaction");
  cp.close();
  expect(stops.length).toBeGreaterThan(0);
}, 30_000);
