// The reference model of Glase: contract §3 operations and the §6 behavioural rules, read strictly,
// written from ../shared/glase-api.md and independent of simulator/. Synchronous and in memory:
// the wire (glase-wire.ts) decides whether a request arrives and whether its answer comes back.
//
// Rules kept (section of the contract in brackets):
// - one open invoice per cash-register terminal: a new sendInvoice supersedes it [§6.4]
// - versions start at 1 and bump on every status change [§6.2]
// - PAID not polled by its terminal within 20 s is reversed ⇒ CANCELED, out of reports — also a
//   PAID reached by commitReservation [§6.3, §9 A10]
// - a reservation lapses exactly commitReservationTimeout after sendInvoice ⇒ CANCELED [§6.7, A7]
// - commit on anything but RESERVED ⇒ 96; amount above the reservation ⇒ 11 [§3.8, A6]
// - cancel: PAID ⇒ 50, customer confirming ⇒ 51, already CANCELED ⇒ 95, unknown ⇒ 54 [§6.6, A13, A15]
// - updateInvoice: same rules as sendInvoice; refuses a changed paymentMode or a missing
//   commitReservationTimeout on a reservation invoice (49), 48 while the customer confirms [§3.6]
// - refunds: PAID, non-reversed payment of this terminal else 23; Σ ≤ payment else 98 [§6.8]
// - reports from non-reversed payments and the refunds of the period; 2 until ready [§6.11]
import type { Invoice, PaymentMode, Principal, TerminalCredentials } from "../../agent/glase/types.ts";
import type { WorldClock } from "./clock.ts";
import type { Answer, CancelCause, ModelInvoice, ModelNote, ModelOptions, ModelRefund, ModelStatus } from "./glase-model-records.ts";
import { type ModelPeriod, type PeriodTx, SHOP_REPORTS, TERMINAL_REPORTS, periodTransactions, reportDocument } from "./glase-reports.ts";

export type { Answer, CancelCause, ModelInvoice, ModelNote, ModelOptions, ModelRefund, ModelStatus, RefundRowCashier } from "./glase-model-records.ts";

const OPEN: readonly ModelStatus[] = ["ISSUED", "RESERVED"];
const RESERVATION_MODES: readonly PaymentMode[] = ["RESERVATION_REQUIRED", "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT", "RESERVATION_DESIRED"];

export class GlaseModel {
  readonly invoices = new Map<string, ModelInvoice>();
  readonly refunds: ModelRefund[] = [];
  readonly periods = new Map<string, ModelPeriod>();
  readonly notes: ModelNote[] = [];
  /** Told of every note as it happens (the invariants judge it against the world at that instant). */
  onNote?: (n: ModelNote) => void;
  /** Listeners for "an invoice appeared on terminal t" (the customers in the world react to it). */
  onInvoice?: (inv: ModelInvoice) => void;
  /** When the request being processed left the client (set by the wire): a commit sent after one was applied is a blind re-commit. */
  requestSentAt = 0;
  private readonly current = new Map<string, string>();
  private readonly lastMark = new Map<string, number>();
  private readonly timers = new Map<string, (() => void)[]>();
  private seq = 0;

  constructor(
    private readonly clock: WorldClock,
    private readonly opts: ModelOptions,
  ) {}

  private note(n: ModelNote): void {
    this.notes.push(n);
    this.onNote?.(n);
  }

  private now(): number {
    return this.clock.mono;
  }

  private id(prefix: string): string {
    return `${prefix}${String(++this.seq).padStart(6, "0")}`;
  }

  private terminal(t: TerminalCredentials): Answer<{ currency: string }> {
    const known = this.opts.terminals.find((x) => x.terminalId === t.terminalId);
    if (!known) return { code: 29 };
    if (known.password !== t.password) return { code: 20 };
    return { code: 0, currency: known.currency };
  }

  private invoiceOf(t: TerminalCredentials, ref: string | undefined): Answer<{ inv: ModelInvoice }> {
    const r = ref ?? this.current.get(t.terminalId);
    const inv = r !== undefined ? this.invoices.get(r) : undefined;
    if (!inv || inv.terminalId !== t.terminalId) return { code: 54 };
    return { code: 0, inv };
  }

  private refuse(op: string, code: number, why: string): Answer {
    if (code === 49 || code === 11) this.note({ kind: "invalid-request", op, code, why, at: this.now() });
    return { code, why };
  }

  /** §6.5 validation shared by sendInvoice and updateInvoice (§3.6: same rules). */
  private validate(op: string, inv: Invoice, currency: string): Answer {
    const total = inv.totalAmount;
    if (!total) return this.refuse(op, 49, "no totalAmount");
    if (total.minor <= 0) return this.refuse(op, 11, `total ${total.minor}`);
    if (total.currency !== currency) return this.refuse(op, 49, `currency ${total.currency}`);
    const rows = inv.invoiceRows ?? [];
    if (rows.some((r) => r.itemTotalAmount && r.itemTotalAmount.currency !== total.currency)) return this.refuse(op, 49, "row currency");
    const priced = rows.filter((r) => r.itemTotalAmount);
    if (priced.length > 0 && priced.reduce((a, r) => a + r.itemTotalAmount!.minor, 0) !== total.minor) return this.refuse(op, 49, "rows do not sum to the total");
    if (rows.some((r) => r.itemQuantity !== undefined && !(Number(r.itemQuantity) > 0))) return this.refuse(op, 49, "itemQuantity");
    // What goes on the wire: the encoder writes IMMEDIATE_DEBIT for an absent paymentMode.
    const mode = inv.paymentMode ?? "IMMEDIATE_DEBIT";
    if (mode === "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT" && !(Number(inv.commitReservationTimeout) > 0)) {
      return this.refuse(op, 49, "preliminary amount without commitReservationTimeout");
    }
    return { code: 0 };
  }

  private bump(inv: ModelInvoice, status: ModelStatus): void {
    inv.status = status;
    inv.version++;
    inv.inProgress = false;
    if (status !== "RESERVED" && status !== "ISSUED") inv.endedAt = this.now();
    if (status === "CANCELED" || status === "FAILED") this.clearTimers(inv.ref);
  }

  private later(inv: ModelInvoice, atMono: number, fn: () => void): void {
    const cancel = this.clock.schedule(atMono - this.now(), fn, `glase:${inv.ref}`);
    this.timers.set(inv.ref, [...(this.timers.get(inv.ref) ?? []), cancel]);
  }

  private clearTimers(ref: string): void {
    for (const c of this.timers.get(ref) ?? []) c();
    this.timers.delete(ref);
  }

  private cancelAs(inv: ModelInvoice, cause: CancelCause): void {
    this.bump(inv, "CANCELED");
    inv.cause = cause;
  }

  private markPaid(inv: ModelInvoice, minor: number, by: "debit" | "commit"): void {
    this.clearTimers(inv.ref);
    this.bump(inv, "PAID");
    Object.assign(inv, { paidMinor: minor, paidAt: this.now(), paidBy: by, ersReference: this.id("ERS"), polledAfterPaid: false });
    this.later(inv, this.now() + this.opts.reversalMs, () => {
      if (inv.status !== "PAID" || inv.polledAfterPaid) return;
      this.cancelAs(inv, "reversed");
      this.note({ kind: "reversed", invoice: inv.ref, at: this.now() });
    });
  }

  // ---- operations (§3) ----------------------------------------------------------------------

  sendInvoice(t: TerminalCredentials, invoice: Invoice): Answer<{ invoiceReference: string }> {
    const cred = this.terminal(t);
    if (cred.code !== 0) return cred;
    const v = this.validate("sendInvoice", invoice, (cred as { currency: string }).currency);
    if (v.code !== 0) return v;
    const prev = this.invoiceOf(t, undefined);
    if (prev.inv && OPEN.includes(prev.inv.status)) {
      const was = prev.inv.status;
      this.cancelAs(prev.inv, "superseded");
      prev.inv.supersededBy = invoice.clientInvoiceId;
      this.note({ kind: "superseded", invoice: prev.inv.ref, was, victim: prev.inv.clientInvoiceId, by: invoice.clientInvoiceId, at: this.now() });
    }
    const mode = invoice.paymentMode ?? "IMMEDIATE_DEBIT";
    const inv: ModelInvoice = {
      ref: this.id("INV"),
      terminalId: t.terminalId,
      ...(invoice.clientInvoiceId !== undefined ? { clientInvoiceId: invoice.clientInvoiceId } : {}),
      ...(invoice.cashierId !== undefined ? { cashierId: invoice.cashierId } : {}),
      mode,
      sentAt: this.now(),
      ...(invoice.commitReservationTimeout !== undefined ? { commitTimeoutS: invoice.commitReservationTimeout } : {}),
      totalMinor: invoice.totalAmount!.minor,
      status: "ISSUED",
      version: 1,
      inProgress: false,
      polledAfterPaid: false,
      polls: [],
      commitSends: [],
    };
    this.invoices.set(inv.ref, inv);
    this.current.set(t.terminalId, inv.ref);
    if (RESERVATION_MODES.includes(mode) && inv.commitTimeoutS !== undefined) {
      inv.lapseAt = inv.sentAt + inv.commitTimeoutS * 1000;
      this.later(inv, inv.lapseAt, () => {
        if (!OPEN.includes(inv.status)) return;
        const reserved = inv.status === "RESERVED";
        this.cancelAs(inv, "lapsed");
        if (reserved) this.note({ kind: "lapsed", invoice: inv.ref, at: this.now() });
      });
    }
    this.onInvoice?.(inv);
    return { code: 0, invoiceReference: inv.ref };
  }

  getPaymentStatus(t: TerminalCredentials, ref: string | undefined): Answer<{ inv: ModelInvoice }> {
    const cred = this.terminal(t);
    if (cred.code !== 0) return cred;
    const found = this.invoiceOf(t, ref);
    if (found.inv) found.inv.polls.push(this.now());
    if (found.inv && found.inv.status === "PAID") found.inv.polledAfterPaid = true;
    return found;
  }

  updateInvoice(t: TerminalCredentials, ref: string, invoice: Invoice): Answer {
    const cred = this.terminal(t);
    if (cred.code !== 0) return cred;
    const found = this.invoiceOf(t, ref);
    if (found.code !== 0) return found;
    const inv = (found as { inv: ModelInvoice }).inv;
    if (inv.inProgress) return { code: 48 };
    // Too late (lapsed, cancelled) is not bad invoice data: 49 without an "invalid request" note —
    // a flow resumed by a technician after its reservation lapsed learns it this way.
    if (!OPEN.includes(inv.status)) return { code: 49, why: `invoice is ${inv.status}` };
    const v = this.validate("updateInvoice", invoice, (cred as { currency: string }).currency);
    if (v.code !== 0) return v;
    const mode = invoice.paymentMode ?? "IMMEDIATE_DEBIT";
    if (mode !== inv.mode) return this.refuse("updateInvoice", 49, `paymentMode ${mode} differs from ${inv.mode}`);
    if (inv.status === "RESERVED" && invoice.totalAmount!.minor > (inv.reservedMinor ?? 0)) return this.refuse("updateInvoice", 11, "total above the reservation");
    inv.totalMinor = invoice.totalAmount!.minor;
    return { code: 0 };
  }

  cancelInvoice(t: TerminalCredentials, ref: string): Answer {
    const cred = this.terminal(t);
    if (cred.code !== 0) return cred;
    const found = this.invoiceOf(t, ref);
    if (found.code !== 0) return found;
    const inv = (found as { inv: ModelInvoice }).inv;
    if (inv.status === "PAID") return { code: 50 };
    if (inv.status === "CANCELED" || inv.status === "FAILED") return { code: 95 };
    if (inv.inProgress) return { code: 51 };
    this.cancelAs(inv, "merchant");
    return { code: 0 };
  }

  commitReservation(t: TerminalCredentials, ref: string, amountMinor: number | undefined): Answer {
    const cred = this.terminal(t);
    if (cred.code !== 0) return cred;
    const found = this.invoiceOf(t, ref);
    if (found.code !== 0) return found;
    const inv = (found as { inv: ModelInvoice }).inv;
    // A re-commit is blind when it left the client after the first commit was applied, with no
    // status read between the two, or after a read that already said PAID. A commit sent before
    // the first was applied (processed late) is not the client's doing.
    if (inv.paidBy === "commit" && this.requestSentAt > inv.paidAt!) {
      const first = inv.paidCommitSentAt!;
      const reads = inv.polls.filter((t) => t > first && t < this.requestSentAt);
      if (reads.length === 0 || reads.some((t) => t >= inv.paidAt!)) this.note({ kind: "second-commit", invoice: inv.ref, at: this.now() });
    }
    inv.commitSends.push(this.requestSentAt);
    if (inv.status !== "RESERVED") return { code: 96 };
    const amount = amountMinor ?? inv.reservedMinor!;
    if (amount > inv.reservedMinor!) return this.refuse("commitReservation", 11, `commit ${amount} above the reservation ${inv.reservedMinor}`);
    if (amount <= 0) return this.refuse("commitReservation", 11, `commit ${amount}`);
    this.markPaid(inv, amount, "commit");
    inv.paidCommitSentAt = this.requestSentAt;
    return { code: 0 };
  }

  submitPaymentReceipt(t: TerminalCredentials, ersReference: string): Answer {
    const cred = this.terminal(t);
    if (cred.code !== 0) return cred;
    const known = [...this.invoices.values()].some((i) => i.ersReference === ersReference) || this.refunds.some((r) => r.ersReference === ersReference);
    return known ? { code: 0 } : { code: 23 };
  }

  refundPayment(t: TerminalCredentials, ersReference: string, invoice: Invoice): Answer<{ ersReference: string }> {
    const cred = this.terminal(t);
    if (cred.code !== 0) return cred;
    const paid = [...this.invoices.values()].find((i) => i.ersReference === ersReference && i.terminalId === t.terminalId && i.status === "PAID");
    if (!paid) return { code: 23 };
    const amount = invoice.totalAmount?.minor;
    if (amount === undefined || invoice.totalAmount!.currency !== (cred as { currency: string }).currency) return this.refuse("refundPayment", 49, "refund amount/currency");
    if (amount <= 0) return { code: 11 };
    const before = this.refunds.filter((r) => r.paymentErs === ersReference).reduce((a, r) => a + r.amountMinor, 0);
    if (before + amount > paid.paidMinor!) return { code: 98 };
    if (invoice.clientInvoiceId !== undefined && this.refunds.some((r) => r.clientInvoiceId === invoice.clientInvoiceId)) {
      this.note({ kind: "refund-resent", clientInvoiceId: invoice.clientInvoiceId, at: this.now() });
    }
    const r: ModelRefund = {
      ersReference: this.id("RFD"),
      paymentErs: ersReference,
      terminalId: t.terminalId,
      amountMinor: amount,
      ...(invoice.clientInvoiceId !== undefined ? { clientInvoiceId: invoice.clientInvoiceId } : {}),
      ...(invoice.cashierId !== undefined ? { cashierId: invoice.cashierId } : {}),
      ...(paid.cashierId !== undefined ? { paymentCashierId: paid.cashierId } : {}),
      at: this.now(),
    };
    this.refunds.push(r);
    return { code: 0, ersReference: r.ersReference };
  }

  private principal(p: Principal): Answer<{ terminalId?: string }> {
    if (p.type === "TERMINALID") {
      const c = this.terminal(p);
      return c.code !== 0 ? c : { code: 0, terminalId: p.terminalId };
    }
    const s = this.opts.reseller;
    if (p.resellerId !== s.resellerId || p.userId !== s.userId) return { code: 37 };
    return p.password === s.password ? { code: 0 } : { code: 20 };
  }

  markTransactionPeriod(p: Principal, params: Readonly<Record<string, string>> | undefined, clientReference?: string): Answer<{ transactionPeriodId: string }> {
    const who = this.principal(p);
    if (who.code !== 0) return who;
    const terminalId = params?.TERMINALID ?? (who as { terminalId?: string }).terminalId;
    if (terminalId !== undefined && !this.opts.terminals.some((x) => x.terminalId === terminalId)) return { code: 29 };
    const key = terminalId ?? "*shop*";
    const period: ModelPeriod = {
      id: this.id("PER"),
      scope: terminalId !== undefined ? "terminal" : "shop",
      ...(terminalId !== undefined ? { terminalId } : {}),
      from: this.lastMark.get(key) ?? 0,
      to: this.now(),
      ...(clientReference !== undefined ? { markRef: clientReference } : {}),
      reportCalls: 0,
    };
    this.lastMark.set(key, this.now());
    this.periods.set(period.id, period);
    return { code: 0, transactionPeriodId: period.id };
  }

  executeReport(p: Principal, reportId: string, params: Readonly<Record<string, string>>): Answer<{ contentString: string; title: string }> {
    const who = this.principal(p);
    if (who.code !== 0) return who;
    const period = this.periods.get(params.transactionPeriodId ?? "");
    if (!TERMINAL_REPORTS.includes(reportId) && !SHOP_REPORTS.includes(reportId)) return { code: 91 };
    if (!period) return { code: 2 };
    const terminalReport = TERMINAL_REPORTS.includes(reportId);
    if (terminalReport && (period.scope !== "terminal" || params.TERMINALID !== period.terminalId)) return { code: 2 };
    if (!terminalReport && period.scope !== "shop") return { code: 2 };
    period.reportCalls++;
    if (period.reportCalls === 1 || this.now() < period.to + this.opts.reportNotReadyMs) return { code: 2 };
    return { code: 0, contentString: this.reportFor(reportId, period), title: `${reportId.split("/")[1]}_${period.id}` };
  }

  /** The report of a period as the model computes it (invariants compare what the technician got). */
  reportFor(reportId: string, period: ModelPeriod): string {
    return reportDocument(reportId, period, periodTransactions(period, this.transactions()));
  }

  transactions(): PeriodTx[] {
    const pays: PeriodTx[] = [...this.invoices.values()]
      .filter((i) => i.status === "PAID")
      .map((i) => ({ kind: "payment", terminalId: i.terminalId, ersReference: i.ersReference!, amountMinor: i.paidMinor!, at: i.paidAt!, ...(i.cashierId ? { cashierId: i.cashierId } : {}) }));
    const reading = this.opts.refundRowCashier ?? "none";
    const refs: PeriodTx[] = (reading === "unlisted" ? [] : this.refunds).map((r) => {
      const cashierId = reading === "refund" ? r.cashierId : reading === "payment" ? r.paymentCashierId : undefined;
      return { kind: "refund", terminalId: r.terminalId, ersReference: r.ersReference, amountMinor: r.amountMinor, at: r.at, ...(cashierId !== undefined ? { cashierId } : {}) };
    });
    return [...pays, ...refs];
  }

  // ---- the customer's side (app) ------------------------------------------------------------

  /** The customer acts on the terminal's current invoice; false when there is nothing to act on. */
  customer(terminalId: string, action: "confirm" | "begin" | "reject" | "decline"): boolean {
    const ref = this.current.get(terminalId);
    const inv = ref !== undefined ? this.invoices.get(ref) : undefined;
    if (!inv || inv.status !== "ISSUED") return false;
    if (action === "begin") {
      inv.inProgress = true;
    } else if (action === "reject") {
      this.cancelAs(inv, "customer");
    } else if (action === "decline") {
      this.bump(inv, "FAILED");
    } else if (inv.mode === "IMMEDIATE_DEBIT") {
      this.markPaid(inv, inv.totalMinor, "debit");
    } else {
      this.bump(inv, "RESERVED");
      Object.assign(inv, { reservedMinor: inv.totalMinor, reservedAt: this.now() });
    }
    return true;
  }

  invoicesOf(clientInvoiceId: string): ModelInvoice[] {
    return [...this.invoices.values()].filter((i) => i.clientInvoiceId === clientInvoiceId);
  }
}
