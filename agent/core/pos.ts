// POS payment (contract §6.14 B) for kiosks, car washes, vending: sendInvoice IMMEDIATE_DEBIT,
// poll each second in windows of posWindowMs; unattended policy: posExtraWindows more windows,
// then cancelInvoice — and on 50 (paid meanwhile) poll again to collect the payment. PAID ⇒
// ersReference ⇒ release the product ⇒ receipt. The poll never stops between PAID and reading it
// (the 20-second reversal rule): a failed cancel (51/48: the customer is paying right now, or no
// answer) falls back to polling at the poll interval, the cancel is retried with a growing backoff
// between polls, and the flow ends only when Glase says the invoice is settled either way.
//
// A sendInvoice whose outcome is unknown (lost answer, 90, a restart) may have left an invoice the
// customer can pay, reachable only as the terminal's current invoice (no reference). The flow keeps
// reading that at the poll cadence — adopting it the moment it reads PAID with our clientInvoiceId —
// and never gives up while reads fail; only once the lost request can no longer be processed (two
// call timeouts) and a read answered does a fresh sendInvoice supersede it (§6.4).
import type { ReceiptContent } from "../../drivers/printer/contract.ts";
import type { Invoice, InvoiceRow } from "../glase/types.ts";
import { type Effect, type FlowContext, assertNever, backoffMs, cancelTimer, timer } from "./effects.ts";
import {
  type FlowBase,
  MAX_INVOICE_SENDS,
  type Step,
  callGlase,
  display,
  isCredentialsCode,
  isOpenStatus,
  isoLocal,
  pendingOutcome,
  readCurrentInvoice,
  same,
  sendSettled,
  withEffects,
  withReceiptSubmission,
} from "./flow.ts";
import { type FlowInput, type GlaseOutcome, isAmbiguous, isTemporary } from "./inputs.ts";
import { money } from "./money.ts";

export type PosPhase = "sending-invoice" | "resolving-send" | "polling" | "canceling" | "releasing" | "printing" | "finished";

export interface PosState extends FlowBase {
  readonly kind: "pos";
  readonly phase: PosPhase;
  readonly point: number;
  readonly terminalId: string;
  readonly currency: string;
  readonly stationName: string;
  readonly amountMinor: number;
  readonly rows: readonly InvoiceRow[];
  readonly invoiceRef?: string;
  readonly version: number;
  readonly sends: number;
  /** When the last sendInvoice was decided (absolute ms). */
  readonly sentAt?: number;
  /** Told a technician that the invoice could not be resolved (once). */
  readonly sendAlarmed?: boolean;
  readonly windows: number;
  readonly windowDeadline: number;
  readonly cancelWanted?: string;
  readonly cancelAttempts: number;
  /** A failed cancel is retried no earlier than this (absolute ms); polls go on meanwhile. */
  readonly nextCancelAt?: number;
  readonly cancelAlarmed?: boolean;
  readonly ersReference?: string;
  readonly receipt?: ReceiptContent;
}

export interface PosStart {
  readonly flowId: string;
  readonly point: number;
  readonly terminalId: string;
  readonly currency: string;
  readonly stationName: string;
  readonly amountMinor: number;
  readonly rows?: readonly InvoiceRow[];
}

type S = PosState;

export function startPos(p: PosStart, ctx: FlowContext): Step<S> {
  const rows = p.rows && p.rows.length > 0 ? p.rows : [{ itemDescription: p.stationName, itemQuantity: "1", itemTotalAmount: money(p.currency, p.amountMinor) }];
  const s: S = {
    kind: "pos",
    phase: "sending-invoice",
    calls: 0,
    attempts: 0,
    sends: 0,
    version: 0,
    windows: 0,
    windowDeadline: 0,
    cancelAttempts: 0,
    ...p,
    rows,
  };
  return send(s, ctx);
}

function send(s: S, ctx: FlowContext): Step<S> {
  const invoice: Invoice = {
    paymentMode: "IMMEDIATE_DEBIT",
    acknowledgmentMode: "NO_ACKNOWLEDGMENT",
    issueDate: isoLocal(ctx.now),
    title: s.stationName,
    clientInvoiceId: s.flowId,
    invoiceRows: s.rows,
    totalAmount: money(s.currency, s.amountMinor),
    cashierId: `point-${s.point}`,
  };
  return callGlase(s, { op: "sendInvoice", invoice }, { phase: "sending-invoice", sends: s.sends + 1, sentAt: ctx.now } as Partial<S>);
}

function poll(s: S): Step<S> {
  return callGlase(s, { op: "getPaymentStatus", invoiceReference: s.invoiceRef, version: s.version }, { phase: "polling" } as Partial<S>);
}

function cancel(s: S): Step<S> {
  return callGlase(s, { op: "cancelInvoice", invoiceReference: s.invoiceRef! }, { phase: "canceling", cancelAttempts: s.cancelAttempts + 1 } as Partial<S>);
}

function finish(s: S, outcome: string, ...effects: Effect[]): Step<S> {
  return { state: { ...s, phase: "finished", outcome, pending: undefined }, effects: [cancelTimer("poll"), cancelTimer("customer"), ...effects] };
}

/** Cancel attempts after which a technician is told the invoice will not cancel (polling goes on). */
const CANCEL_ALARM_AFTER = 10;

function nextPoll(s: S, ctx: FlowContext): Step<S> {
  if (s.cancelWanted !== undefined && ctx.now >= (s.nextCancelAt ?? 0)) return cancel(s);
  const step: Step<S> = { state: { ...s, phase: "polling", pending: undefined }, effects: [timer("poll", ctx.settings.pollIntervalMs)] };
  if (s.cancelWanted === undefined || s.cancelAlarmed || s.cancelAttempts < CANCEL_ALARM_AFTER) return step;
  return withEffects(
    { state: { ...step.state, cancelAlarmed: true }, effects: step.effects },
    { type: "alarm", code: "cancel-unconfirmed", message: `point ${s.point}: invoice ${s.invoiceRef} still open after ${s.cancelAttempts} cancels; polling goes on` },
  );
}

function paid(s: S, o: Extract<GlaseOutcome, { kind: "ok" }>, ctx: FlowContext): Step<S> {
  const receipt: ReceiptContent = {
    stationName: s.stationName,
    terminalId: s.terminalId,
    point: s.point,
    amountMinor: s.amountMinor,
    currency: s.currency,
    ersReference: o.ersReference!,
    description: "Glase payment",
    timestamp: o.paymentDate ?? new Date(ctx.now).toISOString(),
    ...(o.paidMinor !== undefined ? { amountMinor: o.paidMinor } : {}),
  };
  const state: S = { ...s, phase: "releasing", pending: undefined, ersReference: o.ersReference, receipt, invoiceRef: s.invoiceRef ?? o.invoiceReference };
  const effects: Effect[] = [cancelTimer("poll"), cancelTimer("customer"), display(s, "Paid - thank you"), { type: "release", point: s.point, amountMinor: s.amountMinor }];
  if (o.paidMinor !== undefined && o.paidMinor !== s.amountMinor) {
    effects.push({ type: "alarm", code: "paid-amount-mismatch", message: `point ${s.point}: invoice ${state.invoiceRef} is PAID ${o.paidMinor}, the price was ${s.amountMinor}` });
  }
  return withReceiptSubmission(state, effects, o.ersReference!, receipt, ctx);
}

function onStatus(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  if (o.kind === "ok") {
    const next: S = { ...s, version: o.version ?? s.version };
    if (o.status === "PAID" && o.ersReference) return paid(next, o, ctx);
    if (o.status === "CANCELED" || o.status === "FAILED" || o.status === "EXPIRED") return finish(next, "canceled", display(s, "Payment cancelled"));
    return nextPoll(next, ctx);
  }
  if (o.kind === "result" && (o.code === 54 || isCredentialsCode(o.code))) {
    return finish(s, "failed", { type: "alarm", code: "glase-getPaymentStatus", message: `point ${s.point}: getPaymentStatus answered ${o.code}` });
  }
  return nextPoll(s, ctx);
}

function onGlase(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  const done: S = { ...s, pending: undefined };
  switch (s.phase) {
    case "sending-invoice":
      if (o.kind === "ok" && o.invoiceReference) {
        const open: S = { ...done, invoiceRef: o.invoiceReference, windows: 1, windowDeadline: ctx.now + ctx.settings.posWindowMs };
        return withEffects(poll(open), timer("customer", ctx.settings.posWindowMs), display(s, "Scan the Glase code to pay"));
      }
      // The invoice may exist: read the terminal's current one, then supersede it (§6.4).
      if (isAmbiguous(o)) return readCurrentInvoice(done, { phase: "resolving-send" } as Partial<S>);
      if (isTemporary(o)) return finish(done, "offline", display(s, "Glase unavailable"));
      return finish(done, "failed", { type: "alarm", code: "glase-sendInvoice", message: `point ${s.point}: sendInvoice answered ${o.kind === "result" ? o.code : "?"}` });
    case "resolving-send":
      return onCurrentInvoice(done, o, ctx);
    case "polling":
      return onStatus(done, o, ctx);
    case "canceling":
      if (o.kind === "ok" || (o.kind === "result" && (o.code === 95 || o.code === 55))) return finish(done, "canceled", display(s, "Payment cancelled"));
      // 50: the customer paid meanwhile — collect it; never leave a PAID unread.
      if (o.kind === "result" && o.code === 50) return poll({ ...done, cancelWanted: undefined });
      if (o.kind === "result" && o.code === 54) return finish(done, "canceled");
      // 51/48 (customer paying right now), temporary or unknown: keep polling at the poll interval;
      // the cancel is retried after a growing backoff, between polls.
      return { state: { ...done, phase: "polling", nextCancelAt: ctx.now + backoffMs(s.cancelAttempts, ctx) }, effects: [timer("poll", ctx.settings.pollIntervalMs)] };
    case "releasing":
    case "printing":
    case "finished":
      return same(s);
    default:
      return assertNever(s.phase, "pos phase");
  }
}

/** Reads failing this long while an invoice may be open ⇒ a technician is told (the reads go on). */
const UNRESOLVED_ALARM_READS = 30;

function sendUnresolved(s: S, why: string): { state: S; effects: Effect[] } {
  if (s.sendAlarmed) return { state: s, effects: [] };
  const message = `point ${s.point}: ${why}; an invoice of this flow may be open on terminal ${s.terminalId} — still reading it`;
  return { state: { ...s, sendAlarmed: true }, effects: [{ type: "alarm", code: "send-unresolved", message }] };
}

/** The terminal's current invoice, read after a sendInvoice whose outcome is unknown. */
function onCurrentInvoice(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  // A lost invoice the customer already paid is ours if it carries our clientInvoiceId: adopt it.
  if (o.kind === "ok" && o.status === "PAID" && o.clientInvoiceId === s.flowId && o.ersReference) return paid(s, o, ctx);
  const readAgain = (next: S, ...effects: Effect[]): Step<S> => ({ state: next, effects: [timer("retry", ctx.settings.pollIntervalMs), ...effects] });
  const answered = o.kind === "ok" || (o.kind === "result" && o.code === 54);
  if (!answered) {
    // Nothing tells what the terminal holds: the customer may be paying it. Read on, at the poll
    // cadence (a PAID must be read within 20 s), whatever it takes.
    const attempts = s.attempts + 1;
    if (attempts < UNRESOLVED_ALARM_READS) return readAgain({ ...s, attempts });
    const alarm = sendUnresolved({ ...s, attempts }, "its current invoice cannot be read");
    return readAgain(alarm.state, ...alarm.effects);
  }
  // The lost sendInvoice may still be processed: a fresh one now could be superseded by it.
  if (!sendSettled(s.sentAt, ctx)) return readAgain({ ...s, attempts: 0 });
  const open = o.kind === "ok" && isOpenStatus(o.status);
  if (!open && s.cancelWanted !== undefined) return finish(s, "canceled", display(s, "Payment cancelled"));
  if (!open && s.sends >= MAX_INVOICE_SENDS) {
    return finish(s, "failed", { type: "alarm", code: "send-unresolved", message: `point ${s.point}: sendInvoice kept failing (${s.sends} sends); nothing is open on the terminal` });
  }
  // Supersedes the open invoice, if any (§6.4); past the limit it goes on (the open one must be closed), told.
  const alarm = s.sends >= MAX_INVOICE_SENDS ? sendUnresolved(s, `sendInvoice kept failing (${s.sends} sends)`) : { state: s, effects: [] };
  return withEffects(send({ ...alarm.state, attempts: 0 }, ctx), ...alarm.effects);
}

function onTimer(s: S, name: string, ctx: FlowContext): Step<S> {
  if (name === "poll" || name === "retry") {
    if (s.pending !== undefined) return same(s);
    if (s.phase === "polling") return poll(s);
    if (s.phase === "resolving-send") return readCurrentInvoice(s);
    return same(s);
  }
  if (name === "customer" && (s.phase === "polling" || s.phase === "canceling")) {
    if (s.windows <= ctx.settings.posExtraWindows) {
      // Unattended "try again": another window on the same invoice.
      return { state: { ...s, windows: s.windows + 1, windowDeadline: ctx.now + ctx.settings.posWindowMs }, effects: [timer("customer", ctx.settings.posWindowMs)] };
    }
    const wanting: S = { ...s, cancelWanted: "unattended-timeout" };
    return s.pending === undefined ? cancel(wanting) : same(wanting);
  }
  return same(s);
}

export function transitionPos(s: S, input: FlowInput, ctx: FlowContext): Step<S> {
  if (s.phase === "finished") return same(s);
  switch (input.type) {
    case "glase": {
      const o = pendingOutcome(s, input);
      return o === undefined ? same(s) : onGlase(s, o, ctx);
    }
    case "released":
      if (s.phase !== "releasing") return same(s);
      return {
        state: { ...s, phase: "printing" },
        effects: [
          ...(input.ok ? [] : [{ type: "alarm", code: "release-failed", message: `point ${s.point}: product release failed after payment ${s.ersReference}` } as const]),
          { type: "print", receipt: s.receipt! },
        ],
      };
    case "printed":
      return s.phase === "printing" ? finish(s, "paid") : same(s);
    case "timer":
      return onTimer(s, input.name, ctx);
    case "recover":
      return recover(s, ctx);
    case "technician":
      if (input.action === "stop" || input.action === "cancel") {
        // Before the invoice is known, the cancel follows once it is (a lost one is superseded first).
        if (s.phase === "sending-invoice" || s.phase === "resolving-send") return same({ ...s, cancelWanted: "technician" });
        if (s.phase !== "polling" && s.phase !== "canceling") return same(s);
        const wanting: S = { ...s, cancelWanted: "technician" };
        return s.pending === undefined ? cancel(wanting) : same(wanting);
      }
      return same(s);
    case "start":
    case "authorized":
    case "stopped":
    case "sale":
    case "nozzle":
    case "progress":
    case "end":
    case "fault":
    case "link":
      return same(s);
    default:
      return assertNever(input, "input");
  }
}

function recover(s: S, ctx: FlowContext): Step<S> {
  const fresh: S = { ...s, pending: undefined, attempts: 0 };
  switch (s.phase) {
    case "sending-invoice":
    case "resolving-send":
      return readCurrentInvoice(fresh, { phase: "resolving-send" } as Partial<S>);
    case "polling":
    case "canceling":
      // Read first: the cancel (if wanted) follows the next open status.
      return withEffects(poll(fresh), timer("customer", Math.max(0, s.windowDeadline - ctx.now)));
    case "releasing":
      // We cannot know whether the product went out: never release twice; tell a technician.
      return {
        state: { ...fresh, phase: "printing" },
        effects: [{ type: "alarm", code: "release-unknown", message: `point ${s.point}: restarted during product release of ${s.ersReference}` }, { type: "print", receipt: s.receipt! }],
      };
    case "printing":
      return { state: fresh, effects: [{ type: "print", receipt: s.receipt! }] };
    case "finished":
      return same(s);
    default:
      return assertNever(s.phase, "pos phase");
  }
}
