// Review 13e E3: 8ae90aa closes a link as a flood when a frame's size runs the work bucket more
// than a burst into debt — meant for "frames no handler waits for" (call-pacer.ts overdrawn()), but
// charger-link.ts checks it on every inbound frame, handled calls included. A charger that waits
// for each answer and sends one StopTransaction with its transactionData, within maxFrameBytes,
// is closed as a flood (1008, OCPP_FLOOD, the id locked out) before the message is handled — at
// every reconnect, the same message first in its queue: its meterStop never settles. With the
// default 20 calls/s the bound is ~10.3 MiB (2 × burst 80 tokens of 64 KiB): the operator who
// raised maxFrameBytes as OCPP_FRAME_TOO_LARGE tells him to (its text names the StopTransaction's
// transactionData) gets a flood instead. (At maxCallsPerSecond 1 a ~600 KiB frame is enough.)
import { expect, it } from "vitest";
import { authorizeCmd, isCall, isFault, openRig, synced, testConfig } from "../drivers/ocpp16/helpers.ts";
import { handCharger } from "../drivers/ocpp16/review12/hand.ts";

it("a StopTransaction within maxFrameBytes from a charger that waits for each answer is handled, not closed as a flood", async () => {
  const rig = await openRig(testConfig({ chargerSecondMs: 1000, maxSessionS: 3600, maxFrameBytes: 12 * 1024 * 1024 }));
  const cp = await handCharger(`${rig.driver.url}/CP-1`, { trigger: false });
  await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
  await synced(rig);
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Preparing" });
  await rig.events.waitFor(isCall);
  await rig.driver.authorize(authorizeCmd({ limitMinor: 30_000 }));
  const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction")) as [number, string, string, { idTag: string }];
  const t0 = Date.now() - 3_600_000;
  const { transactionId: tx } = (await cp.call("StartTransaction", { connectorId: 1, idTag: rs[3].idTag, meterStart: 0, timestamp: new Date().toISOString() })) as { transactionId: number };
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  // A long session's StopTxnSampledData: 10 measurands per entry (~1.2 KiB), 9 000 entries (~10.9 MiB).
  const measurands = ["Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage", "Temperature", "SoC", "Current.Offered", "Power.Offered", "Frequency", "Energy.Reactive.Import.Register"];
  const transactionData = Array.from({ length: 9_000 }, (_, i) => ({
    timestamp: new Date(t0 + i * 10_000).toISOString(),
    sampledValue: measurands.map((m) => ({ value: String(1000 + i), context: "Sample.Periodic", format: "Raw", measurand: m, location: "Outlet", unit: m.startsWith("Energy") ? "Wh" : m === "Temperature" ? "Celsius" : m === "SoC" ? "Percent" : m.startsWith("Power") ? "W" : m === "Voltage" ? "V" : m === "Frequency" ? undefined : "A" })),
  }));
  const stop = { transactionId: tx, meterStop: 12, timestamp: new Date().toISOString(), reason: "EVDisconnected", transactionData };
  const bytes = Buffer.byteLength(JSON.stringify([2, "x", "StopTransaction", stop]));
  expect(bytes).toBeGreaterThan(10.3 * 1024 * 1024);
  expect(bytes).toBeLessThan(12 * 1024 * 1024);
  const answer = await cp.call("StopTransaction", stop, 8_000).catch((e: Error) => e.message); // fails: unanswered, the link closed 1008
  expect(answer).toEqual({});
  expect(rig.events.events.filter((e) => isFault(e) && e.code === "OCPP_FLOOD")).toEqual([]);
  cp.close();
}, 40_000);
