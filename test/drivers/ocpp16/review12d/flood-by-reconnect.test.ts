// Review 12d #4: the flood limit (charger-link.ts: 20 frames/s, burst 80) lives in each
// ChargerLink, and a new connection of the same charger id gets a new, full bucket; connections
// themselves are not limited (central-system.ts refusal(): a profile-0 charger — the documented
// config/ocpp-station.yaml CP-1 — is let in every time). So "floods from one charger → close"
// is undone by reconnecting: here one charger id pushes StatusNotifications at ~10× the limit
// for 2 s by reconnecting every 70 frames. Each one with a new connectorId also stays in
// memory for good (driver.ts onStatusNotification: rt.connectors.set for ANY connectorId, listed
// by chargers() / ctl): a sustained run grows the agent's heap without bound.
// FAILS on lead5: thousands of frames answered in 2 s, thousands of connectors remembered.
import { expect, it } from "vitest";
import { openRig, testConfig } from "../helpers.ts";
import { handCharger } from "../review12/hand.ts";

it("one charger id cannot exceed its frame budget by reconnecting, nor make the agent remember unbounded connectors", async () => {
  const rig = await openRig(testConfig());
  const url = `${rig.driver.url}/CP-1`;
  const until = Date.now() + 2_000;
  let answered = 0;
  let connectorId = 100;
  while (Date.now() < until) {
    const cp = await handCharger(url, { trigger: false }).catch(() => undefined);
    if (!cp) continue;
    for (let k = 0; k < 5; k++) {
      const batch: Array<Promise<unknown>> = []; // 14 in flight: under maxQueuedCalls (20)
      for (let i = 0; i < 14; i++) batch.push(cp.call("StatusNotification", { connectorId: connectorId++, errorCode: "NoError", status: "Available" }, 1000).then(() => answered++, () => undefined));
      await Promise.all(batch);
    }
    cp.close();
  }
  const remembered = rig.driver.chargers()[0]!.connectors.length;
  // the budget: burst 80 + 20/s × 2 s (generously doubled); connectors: a charger has a handful
  expect({ withinBudget: answered <= 240, rememberedBounded: remembered <= 64 }, `answered ${answered}, connectors remembered ${remembered}`).toEqual({ withinBudget: true, rememberedBounded: true });
}, 10_000);
