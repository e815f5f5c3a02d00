// Review 12f #5 (beyond its repro, review12f/flood-at-agent-pace): a charger that waits for each
// answer is paced at maxCallsPerSecond (call-pacer.ts); one that keeps the agent busy above it for
// maxBusyS is disconnected as a flood with one OCPP_FLOOD alarm, refused (429) for a while — and
// a charger staying under the rate is never slowed.
import { expect, it } from "vitest";
import { CallPacer } from "../../../drivers/ocpp16/call-pacer.ts";
import { isFault, openRig, synced, testConfig } from "./helpers.ts";
import { handCharger } from "./review12/hand.ts";

it("the pacer: a burst passes at once, then each call waits one token; under the rate never waits", () => {
  let now = 0;
  const p = new CallPacer(10, { now: () => now }, 1000);
  for (let i = 0; i < 40; i++) expect(p.reserve()).toBe(0);
  expect(p.reserve()).toBe(100);
  now += 100;
  expect(p.reserve()).toBe(100); // one came back, one more reserved: still behind by one
  expect(p.flooding()).toBe(false);
  now += 1001;
  expect(p.reserve()).toBe(0); // idle for a second: tokens back, not saturated any more
  expect(p.flooding()).toBe(false);
});

it("a charger kept above maxCallsPerSecond for maxBusyS is disconnected with one OCPP_FLOOD alarm", async () => {
  const rig = await openRig(testConfig({ maxCallsPerSecond: 10, maxBusyS: 0.5 }));
  const cp = await handCharger(`${rig.driver.url}/CP-1`, { trigger: false });
  await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
  await synced(rig);
  let open = true;
  void cp.closed.then(() => (open = false));
  let answered = 0;
  const t0 = Date.now();
  while (open && Date.now() - t0 < 4_000) {
    const a = await cp.call("Heartbeat", {}, 1_000).catch(() => undefined);
    if (a === undefined) break;
    answered++;
  }
  const elapsedS = (Date.now() - t0) / 1000;
  expect(await cp.closed).toBe(1008);
  // The 40-call burst, then 10/s, closed maxBusyS after the burst ran out (the loop outruns 10/s even on a loaded machine).
  expect(answered).toBeGreaterThanOrEqual(40);
  expect(answered).toBeLessThanOrEqual(40 + Math.ceil(10 * elapsedS) + 1);
  expect(elapsedS).toBeLessThan(2.5);
  expect(rig.events.events.filter((e) => isFault(e) && e.code === "OCPP_FLOOD").map((e) => isFault(e) && e.message)).toEqual([expect.stringMatching(/CP-1 .*more than 0.5 s/)]);
  await expect(handCharger(`${rig.driver.url}/CP-1`)).rejects.toThrow(/HTTP 429/);
});

it("the log throttle: ten lines a minute per key, then the count of those left out on the next one written", async () => {
  const { LogThrottle } = await import("../../../drivers/ocpp16/log-throttle.ts");
  let now = 0;
  const t = new LogThrottle({ now: () => now });
  const out = Array.from({ length: 25 }, () => t.admit("CP-1 start_refused"));
  expect(out.filter((o) => o !== undefined)).toHaveLength(10);
  expect(t.admit("CP-2 start_refused")).toEqual({});
  now += 60_000;
  expect(t.admit("CP-1 start_refused")).toEqual({ suppressed: 15 });
  expect(t.admit("CP-1 start_refused")).toEqual({});
});
