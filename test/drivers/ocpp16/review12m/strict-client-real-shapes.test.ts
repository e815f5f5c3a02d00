// Review 12 (11th) — control, expected to PASS: ocpp-rpc's own RPCClient in strict mode (so every
// frame the agent sends is checked against the official schemas by someone else's validator) plays
// a charger that sends what real firmwares send: StatusNotification with timestamp/info/vendorId/
// vendorErrorCode, MeterValues shaped like MicroOcpp #193 (10 sampled values, 3 phases, values with a
// leading space, Temperature at Cable, SoC at EV), a register in kWh, one with measurand and unit
// absent (the defaults), Transaction.Begin/End contexts, and a StopTransaction with a small
// transactionData. The session must settle meterStop − meterStart exactly. (The session lasts
// milliseconds of agent time, so its energy stays within the 10 Wh a 22 kW connector's plausibility
// bound allows for that: 8 Wh.)
import { expect, it } from "vitest";
import { createRpcClient } from "../../../../drivers/ocpp16/rpc.ts";
import { authorizeCmd, isCall, isEnd, openRig, synced, testConfig } from "../helpers.ts";

const phases = (wh: string) => [
  { value: wh, context: "Sample.Periodic", measurand: "Energy.Active.Import.Register", location: "Outlet", unit: "Wh" },
  { value: " 7100.0", context: "Sample.Periodic", measurand: "Power.Active.Import", location: "Outlet", unit: "W" },
  ...["L1-N", "L2-N", "L3-N"].map((phase) => ({ value: "230.0", context: "Sample.Periodic", measurand: "Voltage", phase, location: "Outlet", unit: "V" })),
  ...["L1", "L2", "L3"].map((phase) => ({ value: "16.0", context: "Sample.Periodic", measurand: "Current.Import", phase, location: "Outlet", unit: "A" })),
  { value: "37.0", context: "Sample.Periodic", measurand: "Temperature", location: "Cable", unit: "Celsius" },
  { value: "25.0", context: "Sample.Periodic", measurand: "SoC", location: "EV", unit: "Percent" },
];

it("ocpp-rpc's strict client with real firmware shapes: a session settles meterStop − meterStart", async () => {
  const rig = await openRig(testConfig({ chargerSecondMs: 1000 }));
  const failures: string[] = [];
  const cp = createRpcClient({ endpoint: rig.driver.url, identity: "CP-1", protocols: ["ocpp1.6"], strictMode: true, reconnect: false, callTimeoutMs: 5000 });
  cp.on("strictValidationFailure", ((e: { method: string; outbound: boolean; error: Error }) => failures.push(`${e.method} ${e.outbound ? "ours" : "agent's"}: ${e.error.message}`)) as never);
  let remoteStart: ((idTag: string) => void) | undefined;
  const idTagP = new Promise<string>((r) => (remoteStart = r));
  let status = "Available";
  cp.handle("ChangeConfiguration", () => ({ status: "Accepted" }));
  cp.handle("TriggerMessage", ({ params }) => {
    const p = params as { requestedMessage: string; connectorId?: number };
    if (p.requestedMessage === "StatusNotification") setTimeout(() => void cp.call("StatusNotification", { connectorId: p.connectorId ?? 1, errorCode: "NoError", status, timestamp: new Date().toISOString() }).catch(() => undefined), 0);
    return { status: p.requestedMessage === "StatusNotification" ? "Accepted" : "NotImplemented" };
  });
  cp.handle("RemoteStartTransaction", ({ params }) => (remoteStart?.((params as { idTag: string }).idTag), { status: "Accepted" }));
  cp.handle("RemoteStopTransaction", () => ({ status: "Accepted" }));
  await cp.connect();
  await cp.call("BootNotification", { chargePointVendor: "TEISON", chargePointModel: "TeisonMe@7KW", chargePointSerialNumber: "0312209102324480672", firmwareVersion: "V1.5@25238bf+100,F8.gl,ws,ESP32,RN8213@V31", iccid: "", imsi: "" });
  await cp.call("StatusNotification", { connectorId: 0, errorCode: "NoError", status: "Available", timestamp: new Date().toISOString() });
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available", info: "", vendorId: "TEISON", vendorErrorCode: "0", timestamp: new Date().toISOString() });
  await synced(rig);
  status = "Preparing";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status, timestamp: new Date().toISOString() });
  await rig.events.waitFor(isCall, 5_000, "call");
  await rig.driver.authorize(authorizeCmd());
  const idTag = await idTagP;
  expect(await cp.call("Authorize", { idTag })).toEqual({ idTagInfo: { status: "Accepted" } });
  expect(await cp.call("Authorize", { idTag: "04A2B3C4D5E6F7" })).toEqual({ idTagInfo: { status: "Invalid" } });
  const start = (await cp.call("StartTransaction", { connectorId: 1, idTag, meterStart: 123_456, timestamp: new Date().toISOString() })) as { transactionId: number };
  const tx = start.transactionId;
  status = "Charging";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status, timestamp: new Date().toISOString() });
  const mv = (sampledValue: unknown[]) => cp.call("MeterValues", { connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date().toISOString(), sampledValue }] });
  await mv([{ value: "123456", context: "Transaction.Begin", measurand: "Energy.Active.Import.Register", unit: "Wh" }]);
  await mv(phases(" 123458.0"));
  await mv([{ value: "123.460", measurand: "Energy.Active.Import.Register", unit: "kWh" }]);
  await mv([{ value: "123462" }]); // measurand, unit, location absent: the defaults
  const endP = rig.events.waitFor(isEnd, 5_000);
  status = "Finishing";
  await cp.call("StopTransaction", {
    transactionId: tx, meterStop: 123_464, timestamp: new Date().toISOString(), reason: "EVDisconnected", idTag,
    transactionData: [
      { timestamp: new Date().toISOString(), sampledValue: [{ value: "123456", context: "Transaction.Begin", measurand: "Energy.Active.Import.Register", unit: "Wh" }] },
      { timestamp: new Date().toISOString(), sampledValue: [{ value: "123464", context: "Transaction.End", measurand: "Energy.Active.Import.Register", unit: "Wh" }] },
    ],
  });
  const end = (await endP) as { milli: number; reason: string };
  console.log(`review12m strict-client: end ${end.milli} Wh reason ${end.reason}; strict failures ${JSON.stringify(failures)}`);
  expect({ milli: end.milli, failures }).toEqual({ milli: 8, failures: [] });
  await cp.close({ force: true });
}, 20_000);
