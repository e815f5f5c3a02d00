// The MDB crash campaign (part of `npm run test:crash:kiosk`): one vend, the child SIGKILLed at each
// step where drivers.sqlite and the journal must agree (mdb-child.ts names them), restarted; the
// machine ends its vend as a real one would (mdb-crash-rig.ts says what must hold after each).
import { describe, expect, it } from "vitest";
import { anomaliesOf, useMdbCrashRig, vendWithCrash, type MdbKill } from "./mdb-crash-rig.ts";

useMdbCrashRig();

const KILLS: ReadonlyArray<[MdbKill | undefined, string, string]> = [
  [undefined, "dispensed", "delivered"], // dry run
  ["approved", "cancelled", "refunded"], // C,VEND never went out: the machine gives up, the whole amount comes back
  ["vend-sent", "dispensed", "delivered"], // the machine dispenses while the agent is down
  ["result", "dispensed", "delivered"], // VEND,SUCCESS kept in drivers.sqlite, reported after the restart
  ["reported", "dispensed", "delivered"], // delivered journaled; the receipt comes after the restart
];

describe("MDB vend: SIGKILL at every vend step between drivers.sqlite and the journal", () => {
  for (const [killAt, vend, state] of KILLS) {
    it(`${killAt ?? "no kill"}: approved at most once, ${state}, never both delivered and refunded`, async () => {
      const r = await vendWithCrash(killAt ?? "dry", killAt);
      expect(anomaliesOf(r)).toEqual([]);
      expect([r.vend, r.state]).toEqual([vend, state]);
    }, 60_000);
  }
});
