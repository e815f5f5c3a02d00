// Review 12 #3: the per-charger flood limit (ChargerLink.admit: maxCallsPerSecond, maxQueuedCalls
// → close 1008) only sees calls that reach a registered handler. ocpp-rpc answers unknown actions
// (NotImplemented) and schema-invalid calls (strict mode) BEFORE the handler, so they are never
// counted: a charger can send them without limit, each one parsed, ajv-validated and answered,
// and is never disconnected. maxBadMessages (10) does not help either — those are not "bad
// messages", and ocpp-rpc resets that counter on every well-formed frame.
// Expected: count every inbound CALL (e.g. peer.on("call") or a wildcard handler) against the
// same token bucket, and close the connection on abuse as for Heartbeat floods.
import { expect, it } from "vitest";
import { openRig, synced, testConfig } from "../helpers.ts";
import { handCharger } from "./hand.ts";

const N = 2000;

async function floodWith(frame: (i: number) => unknown[]) {
  const rig = await openRig(testConfig({ maxFrameBytes: 65_536 }));
  const cp = await handCharger(`${rig.driver.url}/CP-1`);
  await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  await synced(rig);
  let closedCode: number | undefined;
  void cp.closed.then((c) => (closedCode = c));
  for (let i = 0; i < N; i++) cp.sendRaw(JSON.stringify(frame(i)));
  // Heartbeat flood of 300 is closed (bad-input.test.ts); this one is answered to the last frame.
  // Whichever comes first: the close (the fix) or the answer to the last frame (the bug).
  await Promise.race([cp.closed, cp.waitFor((f) => f[0] === 4 && f[1] === `f${N - 1}`, 20_000).catch(() => undefined)]);
  const answered = cp.received.filter((f) => f[0] === 4 && String(f[1]).startsWith("f")).length;
  cp.close();
  return { closedCode, answered };
}

it("a flood of unknown actions closes the connection like a Heartbeat flood does", async () => {
  const r = await floodWith((i) => [2, `f${i}`, "FooBar", { pad: "x".repeat(30_000) }]);
  expect(r.closedCode, `all ${r.answered} of ${N} answered NotImplemented, never closed`).toBe(1008);
});

it("a flood of schema-invalid calls closes the connection like a Heartbeat flood does", async () => {
  const r = await floodWith((i) => [2, `f${i}`, "StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Exploded", info: "x".repeat(40) }]);
  expect(r.closedCode, `all ${r.answered} of ${N} answered FormationViolation, never closed`).toBe(1008);
});
