// Review 13c C4 (LOW): 88c15df's bound of 20 invalid sampled values a MeterValues dropped every
// later value unread — the valid energy registers too. A firmware that sends Temperature with a unit
// outside the 1.6 enum ("degC") in every item of a batched MeterValues (an offline drain,
// clock-aligned plus sampled) lost the registers of items 21 on: the newest readings, so progress
// was stale and the limit stop one message late. The bound now counts registers apart.
// Real OCPP driver over a loopback WebSocket (hand charger).
import { expect, it } from "vitest";
import { isProgress } from "../drivers/ocpp16/helpers.ts";
import { charging, GatedStore } from "./gated-store.ts";

it("the registers of a batched MeterValues are read after 20 broken Temperature values", async () => {
  const { rig, cp, tx } = await charging(new GatedStore());
  const t0 = Date.now() - 30_000;
  const meterValue = Array.from({ length: 30 }, (_, i) => ({
    timestamp: new Date(t0 + i * 1000).toISOString(),
    sampledValue: [
      { value: "31.5", measurand: "Temperature", unit: "degC" }, // against the enum: ignored
      { value: String(i + 1), measurand: "Energy.Active.Import.Register", unit: "Wh" },
    ],
  }));
  await cp.call("MeterValues", { connectorId: 1, transactionId: tx, meterValue });
  cp.close();
  const progress = rig.events.events.filter(isProgress).at(-1);
  expect(progress?.milli).toBe(30); // fails before: 20, item 21 on dropped unread
});
