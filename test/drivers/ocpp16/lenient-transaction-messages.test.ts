// Review 12f #1 (beyond its repro): StopTransaction and MeterValues are answered even when a part
// the agent does not settle from breaks the official schema (validation.ts), the bad part dropped
// and reported once per charger with an alarm — while what the agent does settle from (meterStop,
// transactionId, timestamp) is still refused when malformed, and every other message stays strict.
import { describe, expect, it } from "vitest";
import { createLogger } from "../../../agent/log.ts";
import { configureCharger } from "../../../drivers/ocpp16/charger-setup.ts";
import { sanitizeTransactionMessage } from "../../../drivers/ocpp16/validation.ts";
import { authorizeCmd, isCall, isFault, isProgress, openRig, synced, testConfig, waitUntil } from "./helpers.ts";
import { handCharger } from "./review12/hand.ts";

const ts = "2026-12-01T10:00:00.000Z";

describe("sanitizeTransactionMessage", () => {
  it("drops an unused StopTransaction field that breaks the schema and names it; keeps a valid one whole", () => {
    const valid = { transactionId: 7, meterStop: 10, timestamp: ts, reason: "Local", idTag: "A", transactionData: [{ timestamp: ts, sampledValue: [{ value: "10" }] }] };
    expect(sanitizeTransactionMessage("StopTransaction", valid)).toEqual({ params: valid, problems: [] });
    const bad = { transactionId: 7, meterStop: 10, timestamp: ts, reason: "StoppedByEV", idTag: "X".repeat(21), transactionData: [{ timestamp: ts, sampledValue: [{ value: 10 }] }] };
    const out = sanitizeTransactionMessage("StopTransaction", bad);
    expect(out.params).toEqual({ transactionId: 7, meterStop: 10, timestamp: ts });
    expect(out.problems.map((p) => p.split(" ")[0])).toEqual(expect.arrayContaining(["StopTransaction/reason", "StopTransaction/idTag", "StopTransaction/transactionData/0/sampledValue/0/value"]));
  });

  it("reads a numeric sampled value as its text and drops a sampled value that breaks the schema", () => {
    const mv = { connectorId: 1, transactionId: 7, meterValue: [{ timestamp: ts, sampledValue: [{ value: 1180.5 }, { value: "1", measurand: "Energy.Active.Net" }, { unit: "Wh" }, { value: "1181", unit: "Wh" }] }] };
    const out = sanitizeTransactionMessage("MeterValues", mv);
    expect(out.params.meterValue[0]!.sampledValue).toEqual([{ value: "1180.5" }, { value: "1181", unit: "Wh" }]);
    expect(out.problems).toHaveLength(3);
  });
});

async function session() {
  const rig = await openRig(testConfig({ chargerSecondMs: 1000 }));
  const cp = await handCharger(`${rig.driver.url}/CP-1`, { trigger: false });
  await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
  await synced(rig);
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Preparing" });
  await rig.events.waitFor(isCall);
  await rig.driver.authorize(authorizeCmd());
  const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction")) as [number, string, string, { idTag: string }];
  const { transactionId: tx } = (await cp.call("StartTransaction", { connectorId: 1, idTag: rs[3].idTag, meterStart: 1000, timestamp: new Date().toISOString() })) as { transactionId: number };
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  return { rig, cp, tx };
}

it("MeterValues with numeric values and a 2.0.1 measurand still report progress; one alarm names the charger and field", async () => {
  const { rig, cp, tx } = await session();
  for (const wh of [1010, 1020]) {
    const a = await cp.call("MeterValues", { connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: wh, measurand: "Energy.Active.Import.Register", unit: "Wh" }, { value: "5", measurand: "Energy.Active.Net" }] }] });
    expect(a).toEqual({});
  }
  await waitUntil(() => rig.events.events.some((e) => isProgress(e) && e.milli === 20));
  const alarms = rig.events.events.filter((e) => isFault(e) && e.code === "OCPP_SCHEMA_VIOLATION");
  expect(alarms).toHaveLength(1);
  expect(alarms[0]).toMatchObject({ point: null, message: expect.stringMatching(/CP-1 .*MeterValues.*value is a JSON number/) });
  cp.close();
});

it("a StopTransaction whose meterStop, transactionId or timestamp is malformed is still refused (CALLERROR); other messages stay strict", async () => {
  const { cp, tx } = await session();
  const ok = { transactionId: tx, meterStop: 1100, timestamp: new Date().toISOString() };
  for (const bad of [{ ...ok, meterStop: "1100" }, { ...ok, transactionId: String(tx) }, { ...ok, timestamp: "yesterday" }, { transactionId: tx, timestamp: ok.timestamp }]) {
    expect(await cp.call("StopTransaction", bad)).toHaveProperty("callError");
  }
  expect(await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging", vendorField: 1 })).toHaveProperty("callError");
  expect(await cp.call("MeterValues", { connectorId: 1, transactionId: tx, meterValue: [{ timestamp: "yesterday", sampledValue: [{ value: "1" }] }] })).toHaveProperty("callError");
  expect(await cp.call("StopTransaction", ok)).toEqual({});
  cp.close();
});

// Review 12f #6 (controls beside its repro): the StopTransaction answer carries the idTag's status
// as the agent decided it — Accepted for the session's own tag, Invalid for any other card.
it("a StopTransaction answers Accepted only for the session's own idTag", async () => {
  const { cp, tx } = await session();
  const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction")) as [number, string, string, { idTag: string }];
  const stop = { transactionId: tx, meterStop: 1100, timestamp: new Date().toISOString() };
  expect(await cp.call("StopTransaction", { ...stop, idTag: "04A1B2C3D4E5F6" })).toEqual({ idTagInfo: { status: "Invalid" } });
  expect(await cp.call("StopTransaction", { ...stop, idTag: rs[3].idTag })).toEqual({ idTagInfo: { status: "Accepted" } });
  expect(await cp.call("StopTransaction", { ...stop, idTag: rs[3].idTag.toLowerCase() })).toEqual({ idTagInfo: { status: "Accepted" } });
  cp.close();
});

// Review 12f #6, its second half: the keys that let a charger start without the agent are set to
// false at every connection; NotSupported (no such feature) is quiet, Rejected is an alarm.
it("the charger's own authorization (cache, offline) is turned off at connection", async () => {
  const rig = await openRig();
  const cp = await rig.chargePoint();
  await synced(rig);
  await waitUntil(() => cp.configuration.get("AllowOfflineTxForUnknownId") === "false" && cp.configuration.get("LocalAuthorizeOffline") === "false" && cp.configuration.get("AuthorizationCacheEnabled") === "false", 5_000, "offline authorization off");
  expect(rig.events.events.filter(isFault)).toEqual([]);
});

it("a Rejected offline-authorization key is OCPP_CONFIG_REFUSED naming it; NotSupported is not", async () => {
  const events: unknown[] = [];
  const answers: Record<string, string> = { LocalAuthorizeOffline: "Rejected", AuthorizationCacheEnabled: "NotSupported" };
  const link = { open: true, call: async (_action: string, req: { key: string }) => ({ status: answers[req.key] ?? "Accepted" }) };
  const rt = { config: { id: "CP-9", connectors: [] } };
  await configureCharger(rt as never, link as never, false, { config: testConfig() as never, log: createLogger("test"), emit: (e) => void events.push(e) });
  expect(events).toEqual([{ type: "fault", point: null, code: "OCPP_CONFIG_REFUSED", message: expect.stringMatching(/CP-9 answered Rejected to ChangeConfiguration LocalAuthorizeOffline=false/) }]);
});
