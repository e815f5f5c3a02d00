// The frame limit and a real charger's StopTransaction (review 12m #1): the agent asks every
// charger to copy no meter values into its StopTransaction (StopTxnSampledData/AlignedData empty,
// else the register only; optional keys, a refusal breaks nothing); the default maxFrameBytes
// holds the StopTransaction of the longest session a station allows even from a charger that
// refuses; and a message above the limit raises one alarm per series, naming the charger, the
// size and the key to raise, while the other chargers carry on.
import { expect, it } from "vitest";
import { createLogger } from "../../../agent/log.ts";
import { configureCharger } from "../../../drivers/ocpp16/charger-setup.ts";
import { MAX_FRAME_BYTES_DEFAULT, Ocpp16ConfigSchema } from "../../../drivers/ocpp16/config.ts";
import { authorizeCmd, isEnd, isFault, openRig, synced, testConfig } from "./helpers.ts";
import { bootAndPlugIn, handCharger, sample, startTransaction } from "./review12/hand.ts";

/** MicroOcpp #193's ten sampled values (register, power, 3 × voltage, 3 × current, temperature, SoC). */
const MEASURANDS = [
  { measurand: "Energy.Active.Import.Register", location: "Outlet", unit: "Wh" },
  { measurand: "Power.Active.Import", location: "Outlet", unit: "W" },
  ...["L1-N", "L2-N", "L3-N"].map((phase) => ({ measurand: "Voltage", phase, location: "Outlet", unit: "V" })),
  ...["L1", "L2", "L3"].map((phase) => ({ measurand: "Current.Import", phase, location: "Outlet", unit: "A" })),
  { measurand: "Temperature", location: "Cable", unit: "Celsius" },
  { measurand: "SoC", location: "EV", unit: "Percent" },
];

function transactionData(startMs: number, entries: number, fromWh: number, toWh: number) {
  return Array.from({ length: entries }, (_, i) => ({
    timestamp: new Date(startMs + i * 10_000).toISOString(),
    sampledValue: MEASURANDS.map((m, j) => ({ value: j === 0 ? (fromWh + Math.round(((toWh - fromWh) * i) / (entries - 1))).toFixed(1) : "230.0", context: i === 0 ? "Transaction.Begin" : i === entries - 1 ? "Transaction.End" : "Sample.Periodic", ...m })),
  }));
}

it("the setup asks for an empty StopTxnSampledData and StopTxnAlignedData; a refusal falls back to the register, a CALLERROR or NotSupported breaks nothing", async () => {
  const sent: string[] = [];
  const answers: Record<string, (value: string) => string | Error> = {
    StopTxnSampledData: (v) => (v === "" ? "Rejected" : "Accepted"), // wants a measurand
    StopTxnAlignedData: () => new Error("CALLERROR"),
  };
  const link = {
    open: true,
    call: async (action: string, req: { key: string; value: string }) => {
      sent.push(action === "ChangeConfiguration" ? `${req.key}=${req.value}` : action);
      const a = answers[req.key]?.(req.value) ?? "Accepted";
      if (a instanceof Error) throw a;
      return { status: a };
    },
  };
  const events: unknown[] = [];
  const rt = { config: { id: "CP-9", connectors: [{ connectorId: 1 }] } };
  await configureCharger(rt as never, link as never, true, { config: Ocpp16ConfigSchema.parse(testConfig()), log: createLogger("test"), emit: (e) => void events.push(e) });
  expect(sent.filter((s) => s.startsWith("StopTxn"))).toEqual(["StopTxnSampledData=", "StopTxnSampledData=Energy.Active.Import.Register", "StopTxnAlignedData="]);
  expect(sent).toContain("TriggerMessage"); // the connector's status is still asked
  expect(events).toEqual([]);
});

it("the default maxFrameBytes takes the StopTransaction of a 3 300 s session with ten measurands every 10 s, from a charger that ignored the empty StopTxnSampledData", async () => {
  expect(Ocpp16ConfigSchema.parse(testConfig()).maxFrameBytes).toBe(MAX_FRAME_BYTES_DEFAULT);
  const rig = await openRig(testConfig({ chargerSecondMs: 1000 }));
  const cp = await handCharger(`${rig.driver.url}/CP-1`);
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd());
  const { tx, stampedAt } = await startTransaction(cp);
  cp.status = "Charging";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  await cp.call("MeterValues", sample(tx, 1005));
  // 3 300 s: the longest a 3 600 s commitReservationTimeout leaves (docs/ocpp.md, Session time).
  // (9 Wh: within the 10 Wh any session may add whatever its length on the agent's clock — 12 Wh in
  // the ~0.1 s this session lasts on a quiet machine raised OCPP_RATING_UNSET for the unrated connector.)
  const stop = { transactionId: tx, meterStop: 1009, timestamp: new Date().toISOString(), reason: "EVDisconnected", transactionData: transactionData(stampedAt, 331, 1000, 1009) };
  const bytes = Buffer.byteLength(JSON.stringify([2, "h99", "StopTransaction", stop]));
  const t0 = performance.now();
  const answer = await cp.call("StopTransaction", stop);
  const ms = performance.now() - t0;
  const end = await rig.events.waitFor(isEnd);
  console.log(`frame-limit: StopTransaction of ${bytes} bytes answered in ${ms.toFixed(0)} ms; end ${end.milli} Wh`);
  expect(bytes).toBeGreaterThan(390_000);
  expect(bytes).toBeLessThan(MAX_FRAME_BYTES_DEFAULT / 2); // room for twice that per entry
  expect({ answer, milli: end.milli }).toEqual({ answer: {}, milli: 9 });
  expect(rig.events.events.filter(isFault)).toEqual([]);
  cp.close();
}, 20_000);

it("a StopTransaction above maxFrameBytes: closed (1009) at every reconnect with one OCPP_FRAME_TOO_LARGE naming the size, the limit and the key; the other charger carries on", async () => {
  const rig = await openRig(testConfig({ chargerSecondMs: 1000, maxFrameBytes: 16_384, chargers: [{ id: "CP-1", connectors: [{ connectorId: 1, point: 1 }] }, { id: "CP-2", connectors: [{ connectorId: 1, point: 2 }] }] }));
  const other = await handCharger(`${rig.driver.url}/CP-2`);
  await other.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  await other.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
  await synced(rig, "CP-2");
  let cp = await handCharger(`${rig.driver.url}/CP-1`);
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd());
  const { tx, stampedAt } = await startTransaction(cp);
  const stop = { transactionId: tx, meterStop: 1012, timestamp: new Date().toISOString(), reason: "EVDisconnected", transactionData: transactionData(stampedAt, 60, 1000, 1012) };
  const bytes = Buffer.byteLength(JSON.stringify([2, "h3", "StopTransaction", stop]));
  const codes: number[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    if (attempt > 0) cp = await handCharger(`${rig.driver.url}/CP-1`); // the StopTransaction is first in its queue again
    cp.sendRaw(JSON.stringify([2, "h3", "StopTransaction", stop]));
    codes.push(await cp.closed);
  }
  const alarms = rig.events.events.filter((e) => isFault(e) && e.code === "OCPP_FRAME_TOO_LARGE").map((e) => isFault(e) && e.message);
  expect(codes).toEqual([1009, 1009, 1009]);
  expect(alarms).toEqual([expect.stringMatching(new RegExp(`^charger CP-1 sent a message of ${bytes} bytes above maxFrameBytes \\(16384\\).*raised above ${bytes}`))]);
  expect(await other.call("Heartbeat", {})).toHaveProperty("currentTime");
  expect(rig.events.count(isEnd), "nothing settled from a message never read").toBe(0);
  other.close();
}, 20_000);

it("big frames cost the work tokens of their size: a charger sending 1 MB messages one at a time is slowed to maxCallsPerSecond × 64 KiB per second, nothing refused", async () => {
  const rig = await openRig(testConfig({ chargerSecondMs: 1000 }));
  const cp = await handCharger(`${rig.driver.url}/CP-1`);
  await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  const data = "x".repeat(1_000_000); // 16 tokens a frame: the burst (80) pays for 5
  const started = performance.now();
  const answers: unknown[] = [];
  for (let i = 0; i < 8; i++) answers.push(await cp.call("DataTransfer", { vendorId: "x", data }, 10_000));
  const ms = performance.now() - started;
  console.log(`frame-limit: 8 DataTransfer of 1 MB answered in ${ms.toFixed(0)} ms`);
  expect(answers).toEqual(Array(8).fill({ status: "UnknownVendorId" }));
  expect(ms, "three frames past the burst wait ~0.8 s each").toBeGreaterThan(1_800);
  expect(cp.ws.readyState).toBe(1);
  cp.close();
}, 30_000);

// Review 12m, observations: a charger that sends BootNotification at every connect got the whole
// setup twice per connection. Once now, when every required key is accepted.
it("a BootNotification at connect does not run the setup a second time", async () => {
  const rig = await openRig(testConfig({ chargerSecondMs: 1000 }));
  const cp = await handCharger(`${rig.driver.url}/CP-1`);
  await bootAndPlugIn(rig, cp);
  await cp.waitFor((f) => f[0] === 2 && f[2] === "ChangeConfiguration" && (f[3] as { key: string }).key === "AllowOfflineTxForUnknownId");
  await cp.call("Heartbeat", {});
  const keys = cp.received.filter((f) => f[0] === 2 && f[2] === "ChangeConfiguration").map((f) => (f[3] as { key: string }).key);
  expect(keys.filter((k) => k === "MeterValuesSampledData")).toHaveLength(1);
  cp.close();
}, 20_000);
