// Review 12b #1/#2/#3 (metering): the new rule still settles energy nobody delivered.
// Pure tests on drivers/ocpp16/metering.ts (the rule itself) + one end-to-end over a real WebSocket.
import { expect, it } from "vitest";
import { sampleOutcome, settleAtStop, type MeterTrack } from "../../../../drivers/ocpp16/metering.ts";
import { authorizeCmd, isEnd, openRig, scriptedTime } from "../helpers.ts";
import { bootAndPlugIn, handCharger, startTransaction } from "../review12/hand.ts";

/** Feeds readings through the rule the way sessions.ts does; returns the track. */
function feed(start: MeterTrack, readings: Array<[wh: number, at: number]>): MeterTrack {
  let t: MeterTrack = start;
  for (const [wh, at] of readings) {
    const o = sampleOutcome(t, wh, at);
    if (o.kind === "grew") t = { ...t, milli: o.milli, meterLastWh: o.meterLastWh, meterLastAt: o.meterLastAt };
    if (o.kind === "reset") t = { ...t, meterLastWh: o.meterLastWh, meterLastAt: o.meterLastAt, meterBaseWh: o.meterBaseWh, carriedWh: o.carriedWh, meterResets: o.meterResets };
  }
  return t;
}
const T0 = Date.parse("2026-12-01T10:00:00Z");
const start: MeterTrack = { meterStartWh: 1000, meterBaseWh: 1000, meterLastWh: 1000, meterStartAt: T0, milli: 0 };

it("#1 one glitch reading of 0 Wh (a meter read error) is taken as a reset and the customer pays the energy twice", () => {
  // Delivered: register 1000 → 5200 = 4200 Wh. One sample in the middle reads 0 (a Modbus read
  // failure reported as 0 — seen on real chargers), the next ones are normal again.
  const t = feed(start, [[3000, T0 + 60_000], [5000, T0 + 120_000], [0, T0 + 180_000], [5100, T0 + 240_000]]);
  const settled = settleAtStop(t, 5200, "CP-1 tx").milli;
  expect(settled, `settled ${settled} Wh for 4200 Wh delivered`).toBe(4200);
});

it("#1 a charger whose clock the agent's Heartbeat corrected backwards: its queued readings look like resets", () => {
  // Charger clock 1 h ahead. Samples received: 3000 @ +1h. Goes offline, keeps charging, queues
  // 3500 @ +1h+60s. Reconnects; Heartbeat currentTime sets its clock right; the agent's
  // TriggerMessage gets 4000 @ T0+180s (the correct time, earlier than +1h). Then the queue is flushed.
  const H = 3_600_000;
  const t = feed(start, [[3000, T0 + H + 30_000], [4000, T0 + 180_000], [3500, T0 + H + 60_000], [4200, T0 + 240_000]]);
  const settled = settleAtStop(t, 4200, "CP-1 tx").milli;
  expect(settled, `settled ${settled} Wh for 3200 Wh delivered`).toBe(3200);
});

it("#2 one bogus high sample followed by the true meterStop: the bogus sample is settled (up to the whole reservation)", () => {
  // Outlet register, this connector: 1500, then a corrupt 9000 (a bit flip / unit mix-up), then
  // meterStop 2000 (1 kWh really delivered; a 22 kW connector cannot add 7.5 kWh in 60 s).
  const t = feed(start, [[1500, T0 + 60_000], [9000, T0 + 120_000]]);
  const s = settleAtStop(t, 2000, "CP-1 tx");
  expect(s.milli, `settled ${s.milli} Wh for meterStop − meterStart = 1000 Wh`).toBe(1000);
});

it("#2 end to end: a bogus 9000 Wh Outlet sample makes the customer pay 8 kWh for 1 kWh", async () => {
  const rig = await openRig(scriptedTime());
  const cp = await handCharger(`${rig.driver.url}/CP-1`);
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd());
  const { tx, stampedAt: t0 } = await startTransaction(cp);
  const mv = (s: number, wh: number) => ({ connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date(t0 + s * 1000).toISOString(), sampledValue: [{ value: String(wh) }] }] });
  await cp.call("MeterValues", mv(10, 1500));
  await cp.call("MeterValues", mv(20, 9000));
  await cp.call("StopTransaction", { transactionId: tx, meterStop: 2000, timestamp: new Date(t0 + 30_000).toISOString(), reason: "EVDisconnected" });
  const end = await rig.events.waitFor(isEnd);
  expect(end.milli, `settled ${end.milli} Wh (${end.amountMinor} öre)`).toBe(1000);
  cp.close();
});
