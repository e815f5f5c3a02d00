// A small in-process station implementing StationControl for the socket and CLI tests: real
// state that the admin commands change, and a Subject for the watch stream.
import { periodReportIds, summarizePeriod } from "../../agent/core/period-report.ts";
import type { PeriodCloseRequest, PeriodCloseResult } from "../../agent/daemon/period-close.ts";
import { Subject } from "rxjs";
import { AgentError } from "../../agent/errors.ts";
import type { AlarmInfo, FlowSummary, JournalEntry, ParkedAction, PointSnapshot, StoredReceipt } from "../../agent/engine-api.ts";
import type { AdminAction, AdminActor, PageQuery, StationControl, StationEvent, StationStatus } from "../../agent/daemon/sockets/control.ts";

export class TestStation implements StationControl {
  readonly events$ = new Subject<StationEvent>();
  readonly calls: Array<{ cmd: string; args: unknown }> = [];
  readonly scans: string[] = [];
  terminals = new Map<number, { terminalId: string; glaseId?: string }>([[1, { terminalId: "t1" }], [2, { terminalId: "t2" }]]);
  pointList: PointSnapshot[] = [
    { point: 1, kind: "fuel", terminalId: "t1", state: "delivering", flowId: "f-1", amountMinor: 12345, milli: 6500, alarms: [] },
    { point: 2, kind: "ev", terminalId: "t2", state: "idle", alarms: [] },
  ];
  flowList: FlowSummary[] = [
    { flowId: "f-1", kind: "preliminary", point: 1, terminalId: "t1", state: "delivering", finished: false, parked: false, amountMinor: 12345, startedAt: 1, updatedAt: 2 },
    { flowId: "f-0", kind: "preliminary", point: 2, terminalId: "t2", state: "paid", finished: true, parked: false, ersReference: "E0", amountMinor: 5000, startedAt: 0, updatedAt: 1, outcome: "paid" },
    { flowId: "f-p", kind: "preliminary", point: 2, terminalId: "t2", state: "settling", finished: false, parked: true, startedAt: 0, updatedAt: 1 },
  ];
  alarmList: AlarmInfo[] = [{ id: "a1", at: 5, point: 2, flowId: "f-p", code: "settlement-parked", message: "commit failed repeatedly" }];
  receiptList: StoredReceipt[] = [
    {
      flowId: "f-0",
      ersReference: "E0",
      printed: true,
      at: 1,
      content: { stationName: "S", terminalId: "t2", amountMinor: 5000, currency: "SEK", ersReference: "E0", description: "Glase payment", timestamp: "2026-01-01T00:00:00Z" },
    },
  ];
  blockedMs = 0;

  status(): StationStatus {
    return {
      station: "Test station",
      version: "test",
      pid: process.pid,
      startedAt: 0,
      accepting: true,
      phase: "running",
      points: this.pointList.length,
      activeFlows: this.flowList.filter((f) => !f.finished).length,
      parkedFlows: this.flowList.filter((f) => f.parked).length,
      alarms: this.alarmList.length,
      devices: [{ device: "printer", kind: "virtual", state: "degraded", detail: "paper out", since: 0 }],
    };
  }
  points() {
    return this.pointList;
  }
  flows(opts: { all: boolean } & Partial<PageQuery>) {
    const list = opts.all ? this.flowList : this.flowList.filter((f) => !f.finished);
    return list.slice(0, opts.n ?? list.length);
  }
  alarms() {
    return this.alarmList;
  }
  /** A journal of `journalSize` steps (seq 1…journalSize, at = seq). */
  journalSize = 10_000;
  journalCalls = 0;
  async journalTail(n: number, page: Omit<PageQuery, "n"> = {}): Promise<JournalEntry[]> {
    this.journalCalls++;
    const last = Math.min(this.journalSize, page.cursor !== undefined ? Number(page.cursor) - 1 : this.journalSize);
    const first = Math.max(1, last - n + 1, page.since ?? 1);
    return Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => ({ seq: first + i, at: first + i, flowId: "f-1", input: "tick", state: "delivering", effects: [] }));
  }
  async receipts(page?: PageQuery) {
    return page ? this.receiptList.slice(-page.n) : this.receiptList;
  }
  readonly audit: AdminAction[] = [];
  async recordAdminAction(action: AdminAction) {
    this.audit.push(action);
  }
  private point(point: number) {
    if (!this.pointList.some((p) => p.point === point)) throw new AgentError("NOT_FOUND", `no point ${point}`);
  }
  async registerTerminal(point: number, opts: { name?: string; externalTerminalId?: string }) {
    this.point(point);
    this.calls.push({ cmd: "register", args: { point, ...opts } });
    this.terminals.set(point, { terminalId: `new-${point}` });
    return { point, terminalId: `new-${point}`, credentialsFile: `/state/terminals/point-${point}.json` };
  }
  async unregisterTerminal(point: number) {
    this.point(point);
    if (!this.terminals.delete(point)) throw new AgentError("CONFLICT", `point ${point} has no terminal`);
    this.calls.push({ cmd: "unregister", args: { point } });
  }
  async assignGlaseId(point: number, glaseId: string) {
    this.point(point);
    this.terminals.get(point)!.glaseId = glaseId;
    this.calls.push({ cmd: "assign-id", args: { point, glaseId } });
  }
  /** Who stopped a point (the actor the socket layer passed). */
  stoppedBy = new Map<number, AdminActor | undefined>();
  async stopPoint(point: number, by?: AdminActor) {
    this.point(point);
    this.stoppedBy.set(point, by);
    this.pointList = this.pointList.map((p) => (p.point === point ? { ...p, state: "stopped" } : p));
    this.events$.next({ type: "point", point: this.pointList.find((p) => p.point === point)! });
  }
  async resumePoint(point: number) {
    this.point(point);
    const wasStopped = this.stoppedBy.delete(point);
    this.pointList = this.pointList.map((p) => (p.point === point && p.state === "stopped" ? { ...p, state: "idle" } : p));
    this.events$.next({ type: "point", point: this.pointList.find((p) => p.point === point)! });
    return { point, wasStopped };
  }
  async reprint(ref: string) {
    if (!this.receiptList.some((r) => r.flowId === ref || r.ersReference === ref)) throw new AgentError("NOT_FOUND", `no receipt for ${ref}`);
    this.calls.push({ cmd: "reprint", args: { ref } });
  }
  async refund(req: { ersReference: string; amountMinor: number; point?: number }) {
    this.calls.push({ cmd: "refund", args: req });
    return { flowId: "f-r", refundErsReference: `R-${req.ersReference}` };
  }
  async closePeriod(req: PeriodCloseRequest): Promise<PeriodCloseResult> {
    this.calls.push({ cmd: "close-period", args: req });
    const reportIds = periodReportIds(req.scope, req.reportId ? [req.reportId] : []);
    const reports = reportIds.map((reportId) => ({ reportId, report: "<Doc><Row><SalesCount>1</SalesCount><SalesTotal>50.00000</SalesTotal></Row></Doc>" }));
    const last = reports[reports.length - 1]!;
    return { flowId: "f-rep", transactionPeriodId: "P1", reportId: last.reportId, report: last.report, reports, scope: req.scope, reportIds, currency: "SEK", summary: summarizePeriod(req.scope, reports, "P1") };
  }
  async resolveParked(flowId: string, action: ParkedAction) {
    const f = this.flowList.find((x) => x.flowId === flowId);
    if (!f?.parked) throw new AgentError("NOT_FOUND", `no parked flow ${flowId}`);
    this.calls.push({ cmd: "resolve", args: { flowId, action } });
  }
  private scanWaiters: Array<(text: string) => void> = [];
  async injectScan(text: string) {
    this.scans.push(text);
    for (const w of this.scanWaiters.splice(0)) w(text);
  }
  async nextScanWaiting(): Promise<boolean> {
    return this.scanWaiters.length > 0;
  }
  nextScan(timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new AgentError("ABORTED", `no scan within ${timeoutMs} ms`)), timeoutMs);
      this.scanWaiters.push((text) => (clearTimeout(t), resolve(text)));
    });
  }
  issued: Array<{ amountMinor: number; description: string; reference: string; payOnce: boolean }> = [];
  async invoices() {
    return { invoices: this.issued.map((i) => ({ ...i, state: "issued" })), openNotifications: [] };
  }
  async issueInvoice(req: { amountMinor: number; description: string; reference: string; payOnce: boolean }) {
    this.issued.push(req);
    return { reference: req.reference, state: "issued", qr: `HTTP://SEQR.SE/000/invoice?j=x.${req.reference}.y` };
  }
  debugBlockLoop(ms: number) {
    this.blockedMs += ms;
  }
}
