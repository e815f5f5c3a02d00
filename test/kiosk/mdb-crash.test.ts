// SIGKILL on the MDB path, where drivers.sqlite (the vend record) and the journal (the sale) are two
// files that must agree: the agent killed right after C,VEND went out, the machine dispensing while
// it is down. The whole set of vend boundaries is `npm run test:crash:kiosk` (mdb-crash.campaign.test.ts).
import { describe, expect, it } from "vitest";
import { anomaliesOf, useMdbCrashRig, vendWithCrash } from "./mdb-crash-rig.ts";

useMdbCrashRig();

describe("MDB vend: SIGKILL after the approval went out", () => {
  it("approved once, delivered once (the machine dispensed), never refunded", async () => {
    const r = await vendWithCrash("vend-sent", "vend-sent");
    expect(anomaliesOf(r)).toEqual([]);
    expect([r.vend, r.state, r.approvals]).toEqual(["dispensed", "delivered", 1]);
  }, 60_000);
});
