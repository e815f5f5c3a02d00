// Review 13b R13b-3: a MeterValues of 25 000 invalid sampled values (a 725 KB frame, under
// maxFrameBytes) was validated value by value — an ajv error thrown and caught for each — and held
// the one event loop ~0.6 s a frame (another charger's Heartbeat waited up to 622 ms, 3 answers in
// 3 s; with the bound: 103 ms, 122 answers, measured with the review's two-charger repro). What is
// bounded is the work, so the test counts it: at most MAX_INVALID_SAMPLED_VALUES are judged, the
// rest is dropped unread and said so; valid values before the bound are kept.
import { expect, it } from "vitest";
import { MAX_INVALID_SAMPLED_VALUES, sanitizeTransactionMessage } from "../../../drivers/ocpp16/validation.ts";

it("a MeterValues of 25 000 invalid sampled values costs at most the bound's validations, and keeps the register read before it", () => {
  const register = { value: "1234", measurand: "Energy.Active.Import.Register", unit: "Wh" };
  const bad = Array.from({ length: 25_000 }, () => ({ value: "1", unit: "Bogus" }));
  const params = { connectorId: 1, transactionId: 7, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [register, ...bad] }] };
  const { params: out, problems } = sanitizeTransactionMessage("MeterValues", params);
  expect(problems.filter((p) => p.endsWith("(sampled value ignored)"))).toHaveLength(MAX_INVALID_SAMPLED_VALUES);
  expect(problems.at(-1)).toBe(`MeterValues: ${25_000 - MAX_INVALID_SAMPLED_VALUES} more sampled value(s) dropped unread after ${MAX_INVALID_SAMPLED_VALUES} invalid ones of their kind (energy register, or other)`);
  expect(out.meterValue[0]!.sampledValue).toEqual([register]);
});

it("a few invalid values among valid ones: only they are dropped", () => {
  const v = (value: string) => ({ value, measurand: "Energy.Active.Import.Register", unit: "Wh" });
  const params = { connectorId: 1, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [v("1"), { value: "2", unit: "Bogus" }, v("3")] }] };
  const { params: out, problems } = sanitizeTransactionMessage("MeterValues", params);
  expect(problems).toHaveLength(1);
  expect(out.meterValue[0]!.sampledValue).toEqual([v("1"), v("3")]);
});
