// Review 12c #3: meterStop < meterStart (a reboot reset the register) falls back to the progress,
// which sums segments with no per-sample plausibility: ONE bit-flipped sample (900 000 Wh, a
// kWh/Wh mix-up) before the reset is carried as ~899 kWh of "progress". The only bound is
// maxPowerW × the whole session time, so a 1 h session at 22 kW settles 22 kWh while the
// charger's register shows ~200 Wh delivered (100 before the reset, 100 after).
// Fixed: each step is bounded by maxPowerW × the time since the last accepted reading (agent's
// arrival clock): the spike is ignored ("implausible", which the session alarms).
import { expect, it } from "vitest";
import { applySample, sampleOutcome, settleAtStop, type MeterTrack } from "../../../../drivers/ocpp16/metering.ts";

it("a spike then a register reset does not settle the whole plausibility cap", () => {
  const t0 = Date.parse("2026-12-01T10:00:00Z");
  let t: MeterTrack & { milli: number } = { meterStartWh: 1000, meterStartAt: t0, meterBaseWh: 1000, meterLastWh: 1000, milli: 0 };
  const kinds: string[] = [];
  const feed = (wh: number, atMin: number) => {
    const at = t0 + atMin * 60_000; // here the charger's clock and the agent's agree
    const o = sampleOutcome(t, wh, at, { maxPowerW: 22_000, arrivedAt: at, startedAt: t0 });
    kinds.push(o.kind);
    t = applySample(t, o);
    if (o.kind === "grew" || o.kind === "glitch") t = { ...t, milli: o.milli };
  };
  feed(1050, 10);
  feed(900_000, 20); // a bit flip / kWh-as-Wh: 900 kWh in 10 min is 5.4 MW
  feed(1100, 30); // back to the real register
  feed(50, 40); // the charger rebooted: register reset
  feed(150, 60);
  const s = settleAtStop(t, 150, "CP-1 tx 1", { maxPowerW: 22_000, elapsedMs: 3_600_000 });
  expect(kinds).toEqual(["grew", "implausible", "grew", "reset", "grew"]);
  expect(s.alarm?.code).toBe("OCPP_METER_RESET");
  expect(s.milli).toBe(200);
  expect(s.milli, s.alarm?.message).toBeLessThanOrEqual(1_000); // ~200 Wh delivered; anything near 22 000 is the spike
});

it("queued readings delivered in one burst after an offline hour are plausible by their own meter timestamps", () => {
  const t0 = Date.parse("2026-12-01T10:00:00Z");
  let t: MeterTrack = { meterStartWh: 1000, meterStartAt: t0, meterBaseWh: 1000, meterLastWh: 1000, milli: 0 };
  const arrivedAt = t0 + 3_600_000; // all arrive at once, on reconnect
  for (let i = 1; i <= 12; i++) {
    const o = sampleOutcome(t, 1000 + i * 1800, t0 + i * 300_000, { maxPowerW: 22_000, arrivedAt, startedAt: t0 }); // 1.8 kWh per 5 min = 21.6 kW
    expect(o.kind).toBe("grew");
    t = applySample(t, o);
  }
  expect(t.milli).toBe(21_600);
});
