// Review 12 (check, expected to pass): one charger, two connectors → two points. Sessions on both
// at once, MeterValues without transactionId (allowed) attributed by connector, a stop of one
// leaves the other running, each settles its own meterStop.
import { expect, it } from "vitest";
import { authorizeCmd, endOn, isCall, openRig, synced, testConfig, scriptedTime } from "../helpers.ts";
import { handCharger } from "./hand.ts";

const mv = (connectorId: number, wh: number) => ({ connectorId, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: String(wh) }] }] });

it("two connectors of one charger are two independent sessions", async () => {
  const rig = await openRig(scriptedTime(testConfig({ chargers: [{ id: "CP-1", connectors: [{ connectorId: 1, point: 1 }, { connectorId: 2, point: 2 }] }] })));
  const cp = await handCharger(`${rig.driver.url}/CP-1`);
  await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  await synced(rig);
  for (const c of [1, 2]) await cp.call("StatusNotification", { connectorId: c, errorCode: "NoError", status: "Preparing" });
  await rig.events.waitFor((e) => isCall(e) && e.point === 2);
  await rig.driver.authorize(authorizeCmd({ point: 1, transactionId: "F1" }));
  await rig.driver.authorize(authorizeCmd({ point: 2, transactionId: "F2" }));
  const tags = cp.received.filter((f) => f[2] === "RemoteStartTransaction").map((f) => f[3] as { connectorId: number; idTag: string });
  expect(tags.map((t) => t.connectorId).sort()).toEqual([1, 2]);
  // a tag on the wrong connector is refused
  const wrong = (await cp.call("StartTransaction", { connectorId: 2, idTag: tags.find((t) => t.connectorId === 1)!.idTag, meterStart: 0, timestamp: new Date().toISOString() })) as { idTagInfo: { status: string } };
  expect(wrong.idTagInfo.status).toBe("Invalid");
  const tx: Record<number, number> = {};
  for (const t of tags) tx[t.connectorId] = ((await cp.call("StartTransaction", { connectorId: t.connectorId, idTag: t.idTag, meterStart: t.connectorId * 10_000, timestamp: new Date().toISOString() })) as { transactionId: number }).transactionId;
  await cp.call("MeterValues", mv(1, 10_500));
  await cp.call("MeterValues", mv(2, 20_700));
  await cp.call("StopTransaction", { transactionId: tx[2], meterStop: 20_800, timestamp: new Date().toISOString() });
  expect((await rig.events.waitFor(endOn(2))).milli).toBe(800);
  await cp.call("MeterValues", mv(1, 10_600));
  expect((await rig.driver.saleRecord("F1"))?.milli).toBe(600);
  await cp.call("StopTransaction", { transactionId: tx[1], meterStop: 10_900, timestamp: new Date().toISOString() });
  expect((await rig.events.waitFor(endOn(1))).milli).toBe(900);
  cp.close();
});
