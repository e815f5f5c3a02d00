// Review 13b #4 (MEDIUM): one MeterValues frame under maxFrameBytes can block the daemon for half a
// second, and the pacer lets a charger send one every 0.8 s. sanitizeMeterValues (validation.ts)
// validates every sampled value on its own and throws/catches an ajv error for each bad one; a
// 1 MiB MeterValues holds ~25 000 of them (`{"value":"1","unit":"Bogus"}`), ~0.5 s of the one
// event loop, paid with the 16 work tokens of its size (call-pacer.ts) — 1.25 such frames a second
// at maxCallsPerSecond 20 (the default) before the charger is even slowed, and it is closed only
// after maxBusyS (60 s) of that. Every other charger's answer (and the Glase polls, the payment
// flows' timers) waits behind each frame: the issue's "floods from one charger → … other chargers
// unaffected" and the bench's poll p99 < 1.1 s do not hold against one charger id (profile 0: no
// password needed).
// Sequence: CP-1 sends such a MeterValues, waiting for each answer, for 3 s; CP-2 sends a
// Heartbeat every 20 ms (its own pace) and measures how long each answer takes.
import { expect, it } from "vitest";
import { openRig, testConfig } from "../helpers.ts";
import { handCharger } from "../review12/hand.ts";

it("one charger's MeterValues frames do not stall another charger's answers for hundreds of ms", async () => {
  const rig = await openRig(testConfig({ chargers: [{ id: "CP-1", connectors: [{ connectorId: 1, point: 1 }] }, { id: "CP-2", connectors: [{ connectorId: 1, point: 2 }] }] }));
  const attacker = await handCharger(`${rig.driver.url}/CP-1`, { trigger: false });
  const other = await handCharger(`${rig.driver.url}/CP-2`, { trigger: false });
  const sampledValue = Array.from({ length: 25_000 }, () => ({ value: "1", unit: "Bogus" }));
  const frame = { connectorId: 1, meterValue: [{ timestamp: new Date().toISOString(), sampledValue }] };
  console.log("frame bytes", JSON.stringify([2, "x", "MeterValues", frame]).length);
  const t0 = Date.now();
  const rtts: number[] = [];
  const otherLoop = (async () => {
    while (Date.now() - t0 < 3_000) {
      const s = Date.now();
      await other.call("Heartbeat", {}, 10_000);
      rtts.push(Date.now() - s);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  let sent = 0;
  while (Date.now() - t0 < 3_000) {
    await attacker.call("MeterValues", frame, 10_000);
    sent++;
  }
  await otherLoop;
  const worst = Math.max(...rtts);
  console.log({ sent, worstHeartbeatMs: worst, heartbeats: rtts.length });
  attacker.close();
  other.close();
  expect(worst).toBeLessThan(150);
}, 30_000);
