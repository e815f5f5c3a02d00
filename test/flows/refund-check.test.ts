// Refund checks against the strict simulator (issue 9 review #1, #2, #4): a refund whose answer was
// lost, late or 93 is never sent twice — a row found in the terminal's details report is proof it
// happened, no row is proof of nothing (park, refund-unknown); nothing else marks the terminal's
// period meanwhile; a technician retry re-reads the period the check recorded.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InMemoryDispenser } from "../../drivers/dispenser/in-memory.ts";
import type { RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { TERMINALS, until, type Station } from "./harness/station.ts";
import { closeStrictStation, openStrictStation } from "./harness/strict-station.ts";

let dir: string, sim: RunningGlaseSimulator, station: Station;
beforeEach(async () => void ({ dir, sim, station } = await openStrictStation({ dirPrefix: "refund-check-", dispenser: new InMemoryDispenser({ points: 2 }), confirmAfterMs: 150, simSettings: { busyApplied: true }, settings: { glaseCallTimeoutMs: 1000 } })));
afterEach(() => closeStrictStation({ dir, sim, station }));
const flows = () => station.engine.snapshot().flows;
const refunds = () => sim.sim.dump().refunds;

async function paidPos(): Promise<string> {
  const flowId = await station.engine.startPosPayment(9, 5000);
  await until("paid", () => flows().find((f) => f.flowId === flowId && f.finished));
  return sim.sim.dump().invoices.find((i) => i.terminalId === TERMINALS[2]!.terminalId && i.status === "PAID")!.ersReference!;
}

/** The refund ends parked; returns the parked flow once the simulator holds `applied` refunds. */
async function parkedRefund(ers: string, applied: number) {
  const outcome = await station.engine.startRefund({ point: 9, ersReference: ers, amountMinor: 1000 }).then(
    (r) => ({ ok: r }),
    (e: unknown) => ({ error: e as { code?: string } }),
  );
  await until("the late refund applied", () => refunds().length >= applied || undefined);
  return { outcome, flow: flows().find((f) => f.kind === "refund" && f.parked) };
}

describe("refund check (strict simulator)", () => {
  it("(review 2a) a refund processed later than the check's wait is not sent again: no row proves nothing, the flow parks", async () => {
    const ers = await paidPos();
    sim.sim.injectFault({ operation: "refundPayment", count: 1, kind: "latency", latencyMs: 2600 });
    const { outcome, flow } = await parkedRefund(ers, 1);
    expect("error" in outcome && outcome.error.code).toBe("CONFLICT");
    expect(flow).toBeDefined();
    expect(refunds().map((r) => r.amountMinor)).toEqual([1000]);
  }, 30000);

  it("(review 4) a refund answered 93 but applied (strict, busyApplied) is found by the check, never re-sent", async () => {
    const ers = await paidPos();
    sim.sim.injectFault({ operation: "refundPayment", count: 1, kind: "result", resultCode: 93 });
    const outcome = await station.engine.startRefund({ point: 9, ersReference: ers, amountMinor: 1000 }).then(
      (r) => ({ ok: r }),
      (e: unknown) => ({ error: e as { code?: string } }),
    );
    expect(refunds().map((r) => r.amountMinor)).toEqual([1000]);
    // Found in the period's report (refunded), or parked for a technician — never a second send.
    if ("ok" in outcome) expect(outcome.ok.refundErsReference).toBe(refunds()[0]!.ersReference);
    else expect(flows().find((f) => f.kind === "refund" && f.parked)).toBeDefined();
  }, 30000);

  it("(review 2b) a close-period of the terminal while a refund is unresolved is refused (it would move the refund out of the period the check reads)", async () => {
    const ers = await paidPos();
    sim.sim.injectFault({ operation: "refundPayment", count: 1, kind: "drop", afterProcessing: true });
    const rp = station.engine.startRefund({ point: 9, ersReference: ers, amountMinor: 1000 }).catch(() => undefined);
    await until("refund running", () => flows().find((f) => f.kind === "refund" && !f.finished));
    await expect(station.engine.startReconciliation({ scope: "terminal", terminal: TERMINALS[2]!.terminalId, reportId: "Reconciliation/STD_RECON_006.xml" })).rejects.toMatchObject({ code: "CONFLICT" });
    await rp;
    expect(refunds().length).toBe(1);
  }, 30000);

  it("(review 2c) a technician retry of a refund parked on 'report not available' re-reads the recorded period and finds it", async () => {
    const ers = await paidPos();
    sim.sim.injectFault({ operation: "refundPayment", count: 1, kind: "drop", afterProcessing: true });
    sim.sim.injectFault({ operation: "executeReport", count: 11, kind: "result", resultCode: 2 });
    const { flow } = await parkedRefund(ers, 1);
    expect(flow).toBeDefined();
    await station.engine.resolveParked(flow!.flowId, "retry");
    const done = await until("done", () => flows().find((f) => f.flowId === flow!.flowId && (f.finished || f.parked)), 20000);
    expect(done.outcome).toBe("refunded");
    expect(refunds().length).toBe(1);
  }, 30000);
});
