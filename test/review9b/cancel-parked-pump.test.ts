// Review 2 of issue 9, finding C: a technician's `cancel` (or mark-settled) of a preliminary flow
// parked "dispenser-unreachable" cancels the reservation and finishes the flow, but nobody stops the
// pump, which still holds the authorization: when the link comes back the customer goes on fuelling,
// the END is routed to a finished flow and ignored — fuel for free, the reservation released.
// Without any technician the parked flow ignores the link-up and the END the same way (its
// reservation lapsed at the commit deadline): the pump stays authorized for the full preset.
import { afterEach, beforeEach, expect, it } from "vitest";
import { InMemoryDispenser } from "../../drivers/dispenser/in-memory.ts";
import type { RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { TERMINALS, until, type Station } from "../flows/harness/station.ts";
import { closeStrictStation, openStrictStation } from "../flows/harness/strict-station.ts";

let dir: string, sim: RunningGlaseSimulator, station: Station;
let pumps: InMemoryDispenser;
beforeEach(async () => {
  pumps = new InMemoryDispenser({ points: 2 });
  ({ dir, sim, station } = await openStrictStation({ dirPrefix: "cancel-parked-", dispenser: pumps, confirmAfterMs: 100, pointIds: [1], settings: { commitReservationTimeoutS: 4, commitSafetyMarginS: 1, deliveryStallMs: 400 } }));
});
afterEach(() => closeStrictStation({ dir, sim, station }));
const flows = () => station.engine.snapshot().flows;

for (const action of ["none", "cancel", "mark-settled"] as const) {
  it(`${action === "none" ? "no technician action" : `technician ${action}`} on a flow parked dispenser-unreachable: the pump it authorized does not deliver unpaid`, async () => {
    pumps.customerCall(1);
    const first = await until("flow", () => flows().find((f) => f.point === 1));
    await until("authorized", () => flows().find((f) => f.flowId === first.flowId && f.state === "authorized"));
    pumps.liftNozzle(1, "95");
    pumps.deliver(1, 1000);
    pumps.setLink(false); // stall → stop fails → sale record unreadable → parked at the commit deadline
    await until("parked", () => flows().find((x) => x.flowId === first.flowId && x.parked), 10000);
    if (action !== "none") {
      await station.engine.resolveParked(first.flowId, action);
      // h9c: the invoice is closed, but the flow holds its point in "securing" until the pump is seen
      // stopped (it finishes at the END below); the review waited for "finished" here.
      await until("flow closed", () => flows().find((x) => x.flowId === first.flowId && (x.finished || x.state === "securing")), 5000);
    }
    pumps.setLink(true);
    await new Promise((r) => setTimeout(r, 300)); // the agent's chance to stop the point on link-up
    pumps.deliver(1, 20000); // the customer still holds the nozzle
    pumps.hangUp(1);
    const sale = await pumps.saleRecord(first.flowId);
    const inv = sim.sim.dump().invoices.filter((i) => i.terminalId === TERMINALS[0]!.terminalId);
    console.log("SALE", JSON.stringify(sale), JSON.stringify(inv.map((i) => [i.status, i.reversed])));
    // lead5: the sale ends with 21 l delivered (~400 SEK), the only invoice CANCELED, nothing paid.
    // The reservation is gone (parked at the commit deadline): the least the agent owes is to stop the
    // pump as soon as it can reach it, so that no more than the 18.99 metered before the loss is unpaid.
    expect(sale?.amountMinor ?? 0).toBeLessThanOrEqual(1899);
  }, 20000);
}
