// Review 12 (11th) — a real charger's StopTransaction with its transactionData is above the
// default maxFrameBytes (65 536): ws closes the connection (1009) before the driver sees it. The
// charger keeps that StopTransaction at the head of its queue and sends it again on every
// reconnect: closed again, forever. The meterStop never arrives, nothing else from that charger
// gets through behind it (FIFO outbox), and no alarm says why (only `charger_offline code 1009`).
// The shape is a real one: MicroOcpp #193's MeterValues (10 sampled values, Outlet, 3 phases, SoC,
// Temperature), which is what StopTxnSampledData asks for on such a charger, one entry per
// MeterValueSampleInterval — the agent itself sets that interval to 10 s — over a 600 s session
// (the default session cap in a station, docs/ocpp.md "Session time"). The agent reads nothing of
// transactionData (validation.ts: "the agent reads no sample of it").
// Expected: a StopTransaction the agent settles from is answered (transactionData may be dropped),
// or at the very least an alarm that names the frame size. Measured on b25f978: see the log line.
import { expect, it } from "vitest";
import { authorizeCmd, isEnd, isFault, openRig, testConfig } from "../helpers.ts";
import { bootAndPlugIn, handCharger, sample, startTransaction } from "../review12/hand.ts";

const MEASURANDS = [
  { measurand: "Energy.Active.Import.Register", location: "Outlet", unit: "Wh" },
  { measurand: "Power.Active.Import", location: "Outlet", unit: "W" },
  { measurand: "Voltage", phase: "L1-N", location: "Outlet", unit: "V" },
  { measurand: "Voltage", phase: "L2-N", location: "Outlet", unit: "V" },
  { measurand: "Voltage", phase: "L3-N", location: "Outlet", unit: "V" },
  { measurand: "Current.Import", phase: "L1", location: "Outlet", unit: "A" },
  { measurand: "Current.Import", phase: "L2", location: "Outlet", unit: "A" },
  { measurand: "Current.Import", phase: "L3", location: "Outlet", unit: "A" },
  { measurand: "Temperature", location: "Cable", unit: "Celsius" },
  { measurand: "SoC", location: "EV", unit: "Percent" },
];

function transactionData(startMs: number, entries: number, fromWh: number, toWh: number) {
  return Array.from({ length: entries }, (_, i) => ({
    timestamp: new Date(startMs + i * 10_000).toISOString(),
    sampledValue: MEASURANDS.map((m, j) => ({ value: j === 0 ? (fromWh + Math.round(((toWh - fromWh) * i) / (entries - 1))).toFixed(1) : "230.0", context: i === 0 ? "Transaction.Begin" : i === entries - 1 ? "Transaction.End" : "Sample.Periodic", ...m })),
  }));
}

it("a StopTransaction carrying a real charger's transactionData of a 10-minute session is answered, not a close loop", async () => {
  const rig = await openRig(testConfig({ chargerSecondMs: 1000 }));
  let cp = await handCharger(`${rig.driver.url}/CP-1`);
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd());
  const { tx, stampedAt } = await startTransaction(cp);
  cp.status = "Charging";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  await cp.call("MeterValues", sample(tx, 1005));
  const stop = { transactionId: tx, meterStop: 1012, timestamp: new Date().toISOString(), reason: "EVDisconnected", transactionData: transactionData(stampedAt, 60, 1000, 1012) };
  const bytes = Buffer.byteLength(JSON.stringify([2, "h99", "StopTransaction", stop]));
  const codes: number[] = [];
  let answered: unknown;
  for (let attempt = 0; attempt < 2 && answered === undefined; attempt++) {
    if (attempt > 0) cp = await handCharger(`${rig.driver.url}/CP-1`); // the charger reconnects; the StopTransaction is first in its queue
    answered = await cp.call("StopTransaction", stop, 3_000).catch(() => undefined);
    if (answered === undefined) codes.push(await cp.closed);
  }
  // What the agent makes of it (measured, not asserted): the charger is back, its StopTransaction
  // still stuck at the head of its queue; its connector status (not a transaction message) gets through.
  cp = await handCharger(`${rig.driver.url}/CP-1`);
  cp.status = "Available";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
  const end = answered !== undefined ? rig.events.events.find(isEnd) : ((await rig.events.waitFor(isEnd, 8_000).catch(() => undefined)) as { milli: number; amountMinor: number } | undefined);
  const alarms = rig.events.events.filter(isFault).map((e) => e.code);
  console.log(`review12m stop-too-big: StopTransaction frame ${bytes} bytes (maxFrameBytes 65536); answered ${answered !== undefined}; closes ${JSON.stringify(codes)}; end ${end ? `${end.milli} Wh / ${end.amountMinor} öre (meterStop says 12 Wh)` : "none"}; alarms ${JSON.stringify(alarms)}`);
  expect({ answered: answered !== undefined, end: end?.milli }).toEqual({ answered: true, end: 12 });
  cp.close();
}, 20_000);
