// In-process integration: engine + real journal file + GlaseClient over real HTTP to the simulator
// + the in-memory dispenser twin. Assertions come from the simulator's ledger (sim.dump()).
import { summarizePeriod } from "../../agent/core/period-report.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { InMemoryDispenser } from "../../drivers/dispenser/in-memory.ts";
import type { FlowSummary } from "../../agent/engine-api.ts";
import { PROVISION, TERMINALS, openStation, until, type Station } from "./harness/station.ts";

let dir: string;
let sim: RunningGlaseSimulator;
let station: Station;
let pumps: InMemoryDispenser;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "engine-"));
  sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION) });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 200 });
  pumps = new InMemoryDispenser({ points: 2 });
  station = await openStation({ journalPath: join(dir, "journal.db"), endpoint: sim.endpoint, dispenser: pumps });
  await station.engine.start();
});

afterEach(async () => {
  await station.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

const invoicesOf = (terminalId: string) => sim.sim.dump().invoices.filter((i) => i.terminalId === terminalId);
const pointState = (p: number) => station.engine.snapshot().points.find((x) => x.point === p)!.state;
const finishedFlow = (pred: (f: FlowSummary) => boolean = () => true) =>
  until("a finished flow", () => station.engine.snapshot().flows.find((f) => f.finished && pred(f)));

async function fuel(point: number, milli: number, opts: { presetMinor?: number } = {}): Promise<FlowSummary> {
  pumps.customerCall(point, opts);
  await until("authorized", () => pointState(point) === "authorized");
  pumps.liftNozzle(point, "95");
  if (milli > 0) pumps.deliver(point, milli);
  pumps.hangUp(point);
  return finishedFlow((f) => f.point === point);
}

describe("payment engine, in process", () => {
  it("preliminary happy path: one invoice, PAID with exactly the metered amount, one commit, receipt kept", async () => {
    const flow = await fuel(1, 20_000); // 20 L × 18.99
    expect(flow.outcome).toBe("paid");
    const invs = invoicesOf(TERMINALS[0]!.terminalId);
    expect(invs).toHaveLength(1);
    expect(invs[0]).toMatchObject({ status: "PAID", paidMinor: 37980, commitCalls: 1, commitsAccepted: 1, reservedMinor: 50000 });
    const receipts = await station.engine.receipts();
    expect(receipts).toHaveLength(1);
    expect(receipts[0]).toMatchObject({ printed: false, content: { amountMinor: 37980, ersReference: invs[0]!.ersReference, description: "Glase payment" } });
    expect((await station.journal.unfinishedFlows()).length).toBe(0);
    expect(station.engine.snapshot().alarms).toEqual([]);
    expect(invs[0]!.invoice).toMatchObject({ clientInvoiceId: flow.flowId, totalAmount: { minor: 37980 } });
  });

  it("lower final amount than a preset: the reservation is the preset, the commit the metered amount", async () => {
    await fuel(1, 5_000, { presetMinor: 20000 });
    const [inv] = invoicesOf(TERMINALS[0]!.terminalId);
    expect(inv).toMatchObject({ status: "PAID", reservedMinor: 20000, paidMinor: 9495 });
  });

  it("nothing delivered ⇒ CANCELED, no charge", async () => {
    const flow = await fuel(1, 0);
    expect(flow.outcome).toBe("canceled");
    const [inv] = invoicesOf(TERMINALS[0]!.terminalId);
    expect(inv).toMatchObject({ status: "CANCELED", commitCalls: 0 });
    expect(inv!.paidMinor ?? 0).toBe(0);
  });

  it("customer never lifts the nozzle ⇒ CANCELED after the timeout", async () => {
    pumps.customerCall(1);
    const flow = await finishedFlow((f) => f.point === 1);
    expect(flow.outcome).toBe("canceled");
    expect(invoicesOf(TERMINALS[0]!.terminalId)[0]!.status).toBe("CANCELED");
  });

  it("overrun above the reservation ⇒ commit the reserved amount and raise an alarm", async () => {
    pumps.setOverrun(1, 2_000);
    await fuel(1, 40_000, { presetMinor: 10000 });
    const [inv] = invoicesOf(TERMINALS[0]!.terminalId);
    expect(inv).toMatchObject({ status: "PAID", paidMinor: 10000, commitCalls: 1 });
    expect(station.engine.snapshot().alarms.map((a) => a.code)).toContain("overrun");
  });

  it("stall ⇒ stop and settle what was metered", async () => {
    pumps.customerCall(1);
    await until("authorized", () => pointState(1) === "authorized");
    pumps.liftNozzle(1, "95");
    pumps.deliver(1, 3_000);
    // no more flow, nozzle stays up: the stall timer stops the point
    const flow = await finishedFlow((f) => f.point === 1);
    expect(flow.outcome).toBe("paid");
    expect(invoicesOf(TERMINALS[0]!.terminalId)[0]).toMatchObject({ status: "PAID", paidMinor: 5697 });
  });

  it("two points fuel at the same time on their own terminals", async () => {
    const [a, b] = await Promise.all([fuel(1, 10_000), fuel(2, 12_000)]);
    expect([a.outcome, b.outcome]).toEqual(["paid", "paid"]);
    expect(invoicesOf(TERMINALS[1]!.terminalId)[0]).toMatchObject({ status: "PAID", paidMinor: 22788 });
  });

  it("POS payment, then a partial refund, then a terminal reconciliation", async () => {
    const flowId = await station.engine.startPosPayment(9, 4500);
    const flow = await finishedFlow((f) => f.flowId === flowId);
    expect(flow.outcome).toBe("paid");
    const [inv] = invoicesOf(TERMINALS[2]!.terminalId);
    expect(inv).toMatchObject({ status: "PAID", paidMinor: 4500, paymentMode: "IMMEDIATE_DEBIT" });

    const refund = await station.engine.startRefund({ point: 9, ersReference: inv!.ersReference!, amountMinor: 1000 });
    expect(refund.refundErsReference).not.toBe("");
    await expect(station.engine.startRefund({ point: 9, ersReference: inv!.ersReference!, amountMinor: 4000 })).rejects.toMatchObject({ context: { resultCode: 98 } });
    expect(sim.sim.dump().refunds).toHaveLength(1);

    const report = await station.engine.startReconciliation({ scope: "terminal", terminal: TERMINALS[2]!.terminalId, reportId: "Reconciliation/STD_RECON_006.xml" });
    expect(report.transactionPeriodId).toBeTruthy();
    expect(report.report).toContain(TERMINALS[2]!.terminalId);
    // The refund marked the terminal's period before it was sent, so the sale sits in that earlier
    // period: the close reads it too and the shift's summary counts the sale (review 2 of issue 9, G).
    expect(report.periods).toHaveLength(3); // each refund (the refused one too) marked before it was sent, then the close
    expect(summarizePeriod("terminal", report.reports ?? [], report.transactionPeriodId)).toMatchObject({ salesCount: 1, salesTotalMinor: 3500, problems: [] });
  });

  it("shop reconciliation retries REPORT_NOT_READY and returns the report", async () => {
    await fuel(1, 1_000);
    const report = await station.engine.startReconciliation({ scope: "shop", reportId: "Reconciliation/Shop.xml" });
    expect(report.report?.length).toBeGreaterThan(0);
  });

  it("a point stopped by the technician refuses customers until resumed", async () => {
    await station.engine.stopPoint(1);
    pumps.customerCall(1);
    expect(pointState(1)).toBe("stopped");
    expect(invoicesOf(TERMINALS[0]!.terminalId)).toHaveLength(0);
    await station.engine.resumePoint(1);
    expect((await fuel(1, 1_000)).outcome).toBe("paid");
  });

  it("(review 5) a stop journaled while a flow ran on the point reaches that flow after a restart: its invoice is cancelled, the point never authorized", async () => {
    sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 1500 });
    pumps.customerCall(1);
    await until("invoice sent", () => invoicesOf(TERMINALS[0]!.terminalId).length === 1 || undefined);
    await station.close();
    station = await openStation({ journalPath: join(dir, "journal.db"), endpoint: sim.endpoint, dispenser: pumps });
    // The stop was journaled, the flow's own state never learnt it (a crash in between).
    await station.journal.setPointStopped(1, true, Date.now());
    await station.engine.start();
    const flow = await finishedFlow((f) => f.point === 1);
    expect(flow.outcome).toBe("canceled");
    // (A sendInvoice whose answer was not journaled yet is superseded first: every invoice cancelled.)
    expect(invoicesOf(TERMINALS[0]!.terminalId).every((i) => i.status === "CANCELED")).toBe(true);
    expect(pumps.commands.filter((c) => c.type === "authorize")).toHaveLength(0);
    await until("point 1 shown stopped", () => pointState(1) === "stopped" || undefined).catch(() => undefined);
    expect(pointState(1)).toBe("stopped");
  });

  it("a technician stop survives a restart; resume-point ends it, also across a restart", async () => {
    await station.engine.stopPoint(1);
    await station.close();
    station = await openStation({ journalPath: join(dir, "journal.db"), endpoint: sim.endpoint, dispenser: pumps });
    await station.engine.start();
    expect(pointState(1)).toBe("stopped");
    pumps.customerCall(1);
    expect(invoicesOf(TERMINALS[0]!.terminalId)).toHaveLength(0);
    await station.engine.resumePoint(1);
    await station.close();
    station = await openStation({ journalPath: join(dir, "journal.db"), endpoint: sim.endpoint, dispenser: pumps });
    await station.engine.start();
    expect(pointState(1)).not.toBe("stopped");
    expect((await fuel(1, 1_000)).outcome).toBe("paid");
  });
});
