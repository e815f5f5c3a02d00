// Network faults at every Glase call of every flow, through the simulator's fault injection:
// result codes 90/93/94, HTTP 500, dropped connections and malformed XML (before and after the
// server processed the call), and latency beyond the client timeout. Same ledger assertions as the
// crash tests: exactly the metered amount PAID (nothing when nothing was delivered), no open
// reservation, at most one commit, no second live invoice, no second refund.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InMemoryDispenser } from "../../drivers/dispenser/in-memory.ts";
import { parseProvisioning, startGlaseSimulator, type FaultInput, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { reportMinor, reportRows } from "../../agent/core/report-rows.ts";
import { checkCustomer } from "./harness/crash-rig.ts";
import { PROVISION, TERMINALS, openStation, until, type Station } from "./harness/station.ts";

let dir: string;
let sim: RunningGlaseSimulator;
let station: Station;
let pumps: InMemoryDispenser;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "faults-"));
  sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION) });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 150 });
  pumps = new InMemoryDispenser({ points: 2 });
  station = await openStation({ journalPath: join(dir, "journal.db"), endpoint: sim.endpoint, dispenser: pumps, settings: { glaseCallTimeoutMs: 1000 } });
  await station.engine.start();
});

afterEach(async () => {
  await station.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

type Fault = Omit<FaultInput, "operation">;
const FAULTS: Array<[string, Fault]> = [
  ["result 90", { kind: "result", resultCode: 90 }],
  ["result 93", { kind: "result", resultCode: 93 }],
  ["result 94", { kind: "result", resultCode: 94 }],
  ["http500", { kind: "http500" }],
  ["http500 after processing", { kind: "http500", afterProcessing: true }],
  ["drop", { kind: "drop" }],
  ["drop after processing", { kind: "drop", afterProcessing: true }],
  ["malformed", { kind: "malformed" }],
  ["malformed after processing", { kind: "malformed", afterProcessing: true }],
  ["latency beyond the timeout", { kind: "latency", latencyMs: 1500 }],
];

const flows = () => station.engine.snapshot().flows;

/** One preliminary customer on point 1; returns its flow once finished or parked. */
async function customer(milli: number) {
  pumps.customerCall(1);
  const first = await until("flow started", () => flows().find((f) => f.point === 1));
  const ready = await until("authorized or ended", () => {
    const f = flows().find((x) => x.flowId === first.flowId)!;
    return f.finished || f.parked ? "ended" : f.state === "authorized" ? "authorized" : undefined;
  });
  if (ready === "authorized") {
    pumps.liftNozzle(1, "95");
    if (milli > 0) pumps.deliver(1, milli);
    pumps.hangUp(1);
  }
  return until("flow settled", () => flows().find((f) => f.flowId === first.flowId && (f.finished || f.parked)), 30_000);
}

function ledgerAnomalies(flowId: string, opts: { supersedeAllowed: boolean; commitRetryAllowed: boolean }): string[] {
  const invoices = sim.sim.dump().invoices.filter((i) => i.terminalId === TERMINALS[0]!.terminalId);
  const rec = pumps.saleRecords().find((r) => r.transactionId === flowId);
  return checkCustomer({ invoices, sale: rec, ...opts });
}

describe("network faults on every call of the preliminary flow", () => {
  for (const op of ["sendInvoice", "getPaymentStatus", "updateInvoice", "commitReservation", "cancelInvoice"] as const) {
    for (const [name, fault] of FAULTS) {
      it(`${op}: ${name}`, async () => {
        sim.sim.injectFault({ operation: op, count: 1, ...fault });
        const flow = await customer(op === "cancelInvoice" ? 0 : 4_000);
        expect(flow.parked, `flow parked in ${flow.state}`).toBe(false);
        // A second commit is allowed only after a status read proved the first was not applied
        // (RESERVED): faults that lose the answer AFTER processing must never see a second one.
        const provablyRejected = op === "commitReservation" && fault.afterProcessing !== true;
        expect(ledgerAnomalies(flow.flowId, { supersedeAllowed: op === "sendInvoice", commitRetryAllowed: provablyRejected })).toEqual([]);
        if (op !== "sendInvoice" && op !== "cancelInvoice") expect(flow.outcome).toBe("paid");
        if (op === "cancelInvoice") expect(flow.outcome).toBe("canceled");
      });
    }
  }
});

describe("network faults on the POS flow", () => {
  for (const op of ["sendInvoice", "getPaymentStatus"] as const) {
    for (const [name, fault] of FAULTS) {
      it(`${op}: ${name}`, async () => {
        sim.sim.injectFault({ operation: op, count: 1, ...fault });
        const flowId = await station.engine.startPosPayment(9, 2500);
        const flow = await until("pos settled", () => flows().find((f) => f.flowId === flowId && f.finished), 30_000);
        const invoices = sim.sim.dump().invoices.filter((i) => i.terminalId === TERMINALS[2]!.terminalId);
        const paid = invoices.filter((i) => i.status === "PAID" && !i.reversed);
        expect(invoices.filter((i) => i.status === "ISSUED")).toEqual([]);
        if (flow.outcome === "paid") expect(paid.map((i) => i.paidMinor)).toEqual([2500]);
        else expect(paid).toEqual([]);
        if (op === "getPaymentStatus") expect(flow.outcome).toBe("paid");
      });
    }
  }

  it("cancelInvoice faults during the unattended cancel never leave the invoice open", async () => {
    sim.sim.setAutoCustomer({ enabled: false, confirmAfterMs: 0 });
    sim.sim.injectFault({ operation: "cancelInvoice", count: 1, kind: "drop", afterProcessing: true });
    const flowId = await station.engine.startPosPayment(9, 2500);
    const flow = await until("pos settled", () => flows().find((f) => f.flowId === flowId && f.finished), 30_000);
    expect(flow.outcome).toBe("canceled");
    expect(sim.sim.dump().invoices.filter((i) => i.terminalId === TERMINALS[2]!.terminalId).map((i) => i.status)).toEqual(["CANCELED"]);
  });
});

describe("network faults on refunds and reconciliation", () => {
  async function paidPos(): Promise<string> {
    const flowId = await station.engine.startPosPayment(9, 5000);
    await until("paid", () => flows().find((f) => f.flowId === flowId && f.finished));
    return sim.sim.dump().invoices.find((i) => i.terminalId === TERMINALS[2]!.terminalId && i.status === "PAID")!.ersReference!;
  }

  // Whatever the fault, exactly one refund in the ledger and the flow reports its reference: an
  // ambiguous answer is resolved by reading the period's details report, never by a blind re-send.
  for (const [name, fault] of FAULTS) {
    it(`refund: ${name} ⇒ refunded exactly once`, async () => {
      const ers = await paidPos();
      sim.sim.injectFault({ operation: "refundPayment", count: 1, ...fault });
      const r = await station.engine.startRefund({ point: 9, ersReference: ers, amountMinor: 1000 });
      const refunds = sim.sim.dump().refunds;
      expect(refunds.map((x) => x.amountMinor)).toEqual([1000]);
      expect(r.refundErsReference).toBe(refunds[0]!.ersReference);
    });
  }

  /** The period's sales as the ledger has them, in the report's terms (STD_RECON_006 SalesCount/SalesTotal). */
  function expectReportOfSales(report: string | undefined, payments: ReadonlyArray<{ amountMinor: number }>): void {
    const [row, ...more] = reportRows(report ?? "");
    expect(more).toEqual([]);
    expect({ count: Number(row?.SalesCount), total: reportMinor(row?.SalesTotal) }).toEqual({
      count: payments.length,
      total: payments.reduce((a, p) => a + p.amountMinor, 0),
    });
  }

  // A mark that provably did not happen (busy) is retried; any other fault leaves the period
  // unknown: never marked twice (a second mark would report an empty period as the shift's).
  for (const [name, fault] of [...FAULTS, ["result 93 (busy)", { kind: "result", resultCode: 93 }] as [string, Fault]]) {
    it(`markTransactionPeriod: ${name} ⇒ the shift's report, or "period unknown" — never an empty second period`, async () => {
      await paidPos();
      const sales = sim.sim.dump().payments.filter((p) => p.terminalId === TERMINALS[2]!.terminalId);
      sim.sim.injectFault({ operation: "markTransactionPeriod", count: 1, ...fault });
      const run = station.engine.startReconciliation({ scope: "terminal", terminal: TERMINALS[2]!.terminalId, reportId: "Reconciliation/STD_RECON_006.xml" });
      const notApplied = fault.kind === "result" && fault.resultCode !== 90;
      if (notApplied) expectReportOfSales((await run).report, sales);
      else {
        await expect(run).rejects.toMatchObject({ code: "CONFLICT" });
        expect(station.engine.snapshot().alarms.map((a) => a.code)).toContain("period-unknown");
      }
      expect(sim.sim.dump().periods.length).toBeLessThanOrEqual(1);
    });
  }

  for (const [name, fault] of FAULTS) {
    it(`executeReport: ${name} ⇒ the report of the period's sales still arrives`, async () => {
      await paidPos();
      const sales = sim.sim.dump().payments.filter((p) => p.terminalId === TERMINALS[2]!.terminalId);
      sim.sim.injectFault({ operation: "executeReport", count: 1, ...fault });
      const r = await station.engine.startReconciliation({ scope: "terminal", terminal: TERMINALS[2]!.terminalId, reportId: "Reconciliation/STD_RECON_006.xml" });
      expectReportOfSales(r.report, sales);
    });
  }
});
