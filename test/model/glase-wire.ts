// The hostile network between the engine and the Glase reference model: implements the engine's
// GlaseApi in process. Every call travels on the world clock (request latency, answer latency, the
// caller's timeout) and can be hit by an armed fault: 90/93/94 not processed, 90 AFTER processing,
// refused (definite), request lost, APPLIED AND THEN ITS ANSWER LOST, 93 AFTER processing (§5.8
// promises no more than "busy"), a hang past the timeout (processed late: 5 s after it, or three
// timeouts after it — later than any wait of two timeouts), a slow answer, or a status read refused
// with a definite code (33, 54: one bad answer, the next read may work). A killed engine generation never hears an answer; its
// requests already on the wire still arrive (unless the kill drops them).
import { GlaseError, TransportError } from "../../agent/glase/errors.ts";
import type {
  CallOptions,
  GlaseApi,
  GlaseResponse,
  Invoice,
  Principal,
  ReceiptDocument,
  TerminalCredentials,
} from "../../agent/glase/types.ts";
import type { Money } from "../../agent/core/money.ts";
import type { WorldClock } from "./clock.ts";
import type { Answer, GlaseModel } from "./glase-model.ts";

export const WIRE_FAULTS = ["code90", "code93", "code94", "applied90", "applied93", "refused", "lostRequest", "lostAnswer", "hang", "hangLong", "slow", "read33", "read54"] as const;
export type WireFault = (typeof WIRE_FAULTS)[number];

export interface FaultRule {
  /** terminalId, "shop" (RESELLERUSER calls) or undefined = any. */
  readonly terminal?: string;
  readonly op?: string;
  readonly fault: WireFault;
  count: number;
}

/** One engine process: dead ones hear nothing. */
export interface Generation {
  readonly id: number;
  alive: boolean;
  /** At the kill: requests still travelling are lost too (else they arrive). */
  dropInFlight: boolean;
}

export interface RequestLog {
  readonly gen: number;
  readonly op: string;
  readonly terminal: string;
  readonly ref?: string;
  readonly sentAt: number;
  arrivedAt?: number;
  applied: boolean;
  code?: number;
  readonly fault?: WireFault;
  readonly args: Readonly<Record<string, unknown>>;
}

export class GlaseWire {
  readonly log: RequestLog[] = [];
  readonly rules: FaultRule[] = [];
  /** Extra latency per terminal (or "*") until a mono time. */
  readonly slowUntil = new Map<string, { readonly ms: number; readonly until: number }>();
  /** Documents executeReport returned, per period (the technician must get one of them). */
  readonly reports = new Map<string, string[]>();

  constructor(
    private readonly clock: WorldClock,
    private readonly model: GlaseModel,
    private readonly baseLatencyMs: number,
  ) {}

  arm(rule: FaultRule): void {
    this.rules.push({ ...rule });
  }

  clearFaults(): void {
    this.rules.length = 0;
    this.slowUntil.clear();
  }

  private take(terminal: string, op: string, args: Readonly<Record<string, unknown>>): WireFault | undefined {
    // read33/read54 only ever hit status reads (a definite refusal elsewhere is a different story).
    // hangLong (processed late — the contract sets no bound, §4.1) hits refunds, commits and every
    // sendInvoice (review 2 A/B, review 3 H: a send may land after its flow ended; the terminal's
    // lost-send watch, agent/core/send-watch.ts, looks for it).
    void args;
    const applies = (f: WireFault) =>
      f === "read33" || f === "read54" ? op === "getPaymentStatus" : f === "hangLong" ? op === "refundPayment" || op === "commitReservation" || op === "sendInvoice" : true;
    const i = this.rules.findIndex((r) => r.count > 0 && applies(r.fault) && (r.terminal === undefined || r.terminal === terminal) && (r.op === undefined || r.op === op));
    if (i < 0) return undefined;
    const r = this.rules[i]!;
    r.count--;
    if (r.count <= 0) this.rules.splice(i, 1);
    return r.fault;
  }

  private latency(terminal: string): number {
    const extra = [this.slowUntil.get(terminal), this.slowUntil.get("*")].filter((s) => s && s.until > this.clock.mono).reduce((a, s) => a + s!.ms, 0);
    return this.baseLatencyMs + extra;
  }

  private call<T>(gen: Generation, op: string, terminal: string, opts: CallOptions | undefined, args: Record<string, unknown>, exec: () => Answer, shape: (a: Answer) => T): Promise<T> {
    const timeoutMs = opts?.timeoutMs ?? 10_000;
    const fault = this.take(terminal, op, args);
    const entry: RequestLog = { gen: gen.id, op, terminal, ...(opts?.clientReference ? { ref: opts.clientReference } : {}), sentAt: this.clock.mono, applied: false, ...(fault ? { fault } : {}), args };
    this.log.push(entry);
    const lat = this.latency(terminal);
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const answer = (fn: () => void) => {
        if (done || !gen.alive) return;
        done = true;
        cancelTimeout();
        fn();
      };
      const cancelTimeout = this.clock.schedule(timeoutMs, () => answer(() => reject(new TransportError(op, "timeout", true, `no answer within ${timeoutMs} ms`))), "wire");
      if (fault === "refused") {
        this.clock.schedule(1, () => answer(() => reject(new TransportError(op, "refused", false, "connection refused"))), "wire");
        return;
      }
      // A sendInvoice hangLong lands anywhere from three call timeouts to ~2 min late (after its flow
      // ended, under the next customer's flow, …): spread by the request's place in the log (deterministic per seed).
      const late = op === "sendInvoice" ? ((this.log.length * 7919) % 120) * 1000 : 0;
      const arriveIn = fault === "hang" ? timeoutMs + 5_000 : fault === "hangLong" ? 3 * timeoutMs + late : lat;
      this.clock.schedule(arriveIn, () => {
        if (!gen.alive && gen.dropInFlight) return;
        entry.arrivedAt = this.clock.mono;
        if (fault === "lostRequest") return this.clock.schedule(lat, () => answer(() => reject(new TransportError(op, "reset", true, "connection reset"))), "wire"), undefined;
        if (fault === "code90" || fault === "code93" || fault === "code94" || fault === "read33" || fault === "read54") {
          entry.code = Number(fault.slice(4));
          return this.clock.schedule(lat, () => answer(() => reject(new GlaseError(op, entry.code!))), "wire"), undefined;
        }
        this.model.requestSentAt = entry.sentAt;
        const a = exec();
        entry.applied = true;
        entry.code = a.code;
        if (fault === "hang" || fault === "hangLong") return;
        const back = fault === "slow" ? Math.floor(timeoutMs * 0.7) : lat;
        this.clock.schedule(back, () => {
          if (fault === "lostAnswer") return answer(() => reject(new TransportError(op, "reset", true, "connection reset after the request was sent")));
          if (fault === "applied90") return answer(() => reject(new GlaseError(op, 90)));
          if (fault === "applied93") return answer(() => reject(new GlaseError(op, 93)));
          if (a.code !== 0) return answer(() => reject(new GlaseError(op, a.code)));
          answer(() => resolve(shape(a)));
        }, "wire");
      }, "wire");
    });
  }

  private static base(): GlaseResponse {
    return { resultCode: 0, resultDescription: "SUCCESS" };
  }

  /** The GlaseApi one engine generation talks to. */
  api(gen: Generation): GlaseApi {
    const m = this.model;
    const ok = () => GlaseWire.base();
    const unsupported = (): never => {
      throw new GlaseError("unsupported", 91);
    };
    const who = (p: Principal) => (p.type === "TERMINALID" ? p.terminalId : "shop");
    return {
      registerTerminal: unsupported,
      assignSeqrId: unsupported,
      unregisterTerminal: unsupported,
      benchmarkingNop: async () => ok(),
      sendInvoice: (t: TerminalCredentials, invoice: Invoice, _tokens, opts) =>
        this.call(gen, "sendInvoice", t.terminalId, opts, { invoice }, () => m.sendInvoice(t, invoice), (a) => ({ ...ok(), invoiceReference: (a as unknown as { invoiceReference: string }).invoiceReference })),
      getPaymentStatus: (t, ref, version, opts) =>
        this.call(gen, "getPaymentStatus", t.terminalId, opts, { ref, version }, () => {
          // The answer is what the invoice was when the request was processed, not when it lands.
          const a = m.getPaymentStatus(t, ref);
          return a.inv ? { ...a, inv: { ...a.inv } } : a;
        }, (a) => {
          const inv = (a as unknown as { inv: import("./glase-model.ts").ModelInvoice }).inv;
          const paid = inv.status === "PAID";
          return {
            ...ok(),
            ...(paid ? { ersReference: inv.ersReference! } : {}),
            status: inv.status,
            ...(paid
              ? { receipt: { terminalId: inv.terminalId, paymentDate: new Date(inv.paidAt!).toISOString().slice(0, 19), invoiceReference: inv.ref, paymentReference: inv.ersReference!, ...(inv.clientInvoiceId ? { clientInvoiceId: inv.clientInvoiceId } : {}) } }
              : {}),
            customerTokens: [],
            version: inv.version,
          };
        }),
      updateInvoice: (t, ref, invoice, _tokens, opts) => this.call(gen, "updateInvoice", t.terminalId, opts, { ref, invoice }, () => m.updateInvoice(t, ref, invoice), ok),
      cancelInvoice: (t, ref, opts) => this.call(gen, "cancelInvoice", t.terminalId, opts, { ref }, () => m.cancelInvoice(t, ref), ok),
      commitReservation: (t, ref, amount: Money | undefined, opts) =>
        this.call(gen, "commitReservation", t.terminalId, opts, { ref, amountMinor: amount?.minor }, () => m.commitReservation(t, ref, amount?.minor), ok),
      submitPaymentReceipt: (t, ers, _doc: ReceiptDocument, opts) => this.call(gen, "submitPaymentReceipt", t.terminalId, opts, { ers }, () => m.submitPaymentReceipt(t, ers), ok),
      refundPayment: (t, ers, invoice, opts) =>
        this.call(gen, "refundPayment", t.terminalId, opts, { ers, invoice }, () => m.refundPayment(t, ers, invoice), (a) => ({ ...ok(), ersReference: (a as unknown as { ersReference: string }).ersReference })),
      markTransactionPeriod: (p, params, opts) =>
        this.call(gen, "markTransactionPeriod", who(p), opts, { params }, () => m.markTransactionPeriod(p, params, opts?.clientReference), (a) => ({ ...ok(), transactionPeriodId: (a as unknown as { transactionPeriodId: string }).transactionPeriodId })),
      executeReport: (p, reportId, _lang, params, opts) =>
        this.call(gen, "executeReport", who(p), opts, { reportId, params }, () => m.executeReport(p, reportId, params), (a) => {
          const r = a as unknown as { contentString: string; title: string };
          const pid = params.transactionPeriodId ?? "";
          this.reports.set(pid, [...(this.reports.get(pid) ?? []), r.contentString]);
          return { ...ok(), report: { title: r.title, mimeType: "text/html", contentString: r.contentString } };
        }),
    };
  }
}
