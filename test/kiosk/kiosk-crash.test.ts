// Crash test of a kiosk sale whose release FAILED (the money-critical path: a refund, exactly
// once) with real processes: SIGKILL at every journal write boundary from the payment on (the
// boundaries before it are the POS flow's, covered by test/flows/crash.test.ts), restart, the app
// retries with its idempotency key. The whole campaign — every boundary, delivered / failed /
// partial — is `npm run test:crash:kiosk` (kiosk-crash.campaign.test.ts).
import { describe, expect, it } from "vitest";
import { anomaliesOf, nextAmount, saleWithCrash, useKioskCrashRig } from "./kiosk-crash-rig.ts";

useKioskCrashRig();

describe("kiosk sale: SIGKILL at each journal write boundary after PAID", () => {
  it("failed release: released once, refunded exactly once, never delivered and refunded", async () => {
    const dry = await saleWithCrash("dry", "failed", nextAmount(), undefined, true);
    expect(anomaliesOf(dry, "failed")).toEqual([]);
    const labels = dry.boundaries;
    const from = labels.findIndex((l) => /:paid$/.test(l));
    expect(from).toBeGreaterThan(0);
    const anomalies: string[] = [];
    for (let n = from + 1; n <= labels.length; n++) {
      const r = await saleWithCrash(`failed-${n}`, "failed", nextAmount(), n);
      for (const p of anomaliesOf(r, "failed", labels[n - 1])) anomalies.push(`kill at ${n} (${labels[n - 1]}): ${p}`);
    }
    expect(anomalies).toEqual([]);
  }, 300_000);
});
