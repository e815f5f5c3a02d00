// The kiosk crash campaign (`npm run test:crash:kiosk`): a sale delivered, not delivered and
// partly delivered, the child SIGKILLed at EVERY journal write boundary of it (kiosk-crash-rig.ts
// says what must hold after each).
import { describe, expect, it } from "vitest";
import { anomaliesOf, nextAmount, saleWithCrash, useKioskCrashRig } from "./kiosk-crash-rig.ts";

useKioskCrashRig();

describe("kiosk sale: SIGKILL at every journal write boundary", () => {
  for (const outcome of ["failed", "delivered", "partial"] as const) {
    it(`${outcome}: at most one release, at most one refund (of what was not delivered), never both`, async () => {
      const dry = await saleWithCrash(`dry-${outcome}`, outcome, nextAmount(), undefined, true);
      expect(anomaliesOf(dry, outcome)).toEqual([]);
      const labels = dry.boundaries;
      const anomalies: string[] = [];
      for (let n = 1; n <= labels.length; n++) {
        const r = await saleWithCrash(`${outcome}-${n}`, outcome, nextAmount(), n);
        for (const p of anomaliesOf(r, outcome, labels[n - 1])) anomalies.push(`kill at ${n} (${labels[n - 1]}): ${p}`);
        process.stdout.write(`kiosk crash ${outcome} ${n}/${labels.length} ${labels[n - 1]}: ${r.state}\n`);
      }
      expect(anomalies).toEqual([]);
    }, 900_000);
  }
});
