// POS payment (contract §6.14 B) for kiosks, car washes, vending: sendInvoice IMMEDIATE_DEBIT,
// poll each second in windows of posWindowMs; unattended policy: posExtraWindows more windows,
// then cancelInvoice — and on 50 (paid meanwhile) poll again to collect the payment. PAID ⇒
// ersReference ⇒ release the product ⇒ receipt. The poll never stops between PAID and reading it
// (the 20-second reversal rule): a failed cancel (51/48: the customer is paying right now, or no
// answer) falls back to polling at the poll interval, the cancel is retried with a growing backoff
// between polls, and the flow ends only when Glase says the invoice is settled either way.
//
// A sendInvoice whose outcome is unknown never leaves an invoice nobody watches: pos-lost-send.ts.
// The steps (send, poll, cancel, paid, …) are pos-steps.ts.
import type { InvoiceRow } from "../../contracts/glase/types.ts";
import type { ReceiptContent } from "../../contracts/printer.ts";
import { type Effect, type FlowContext, assertNever, backoffMs, timer } from "./effects.ts";
import { type FlowBase, type Step, display, isCredentialsCode, pendingOutcome, readDelay, same, withEffects, sentOut, withSendOut } from "./flow.ts";
import { overlapRead, readAnswer, statusRead } from "./pos-reads.ts";
import { onWatchAnswer, settle, watchRead, watching } from "./pos-late-send.ts";
import { type FlowInput, type GlaseOutcome, isAmbiguous, isTemporary, sendMayHaveOpened } from "./inputs.ts";
import { money } from "../../base/money.ts";
import { onCurrentInvoice, onCurrentStatus, onSupersedeFailed } from "./pos-lost-send.ts";
import { confirmPaid, confirmRead, onConfirmRead } from "./pos-confirm.ts";
import { lostOne } from "./send-watch.ts";
import { cancel, finish, nextPoll, poll, pollOnRefused, send } from "./pos-steps.ts";
import { drained, isSendRead, onSendRead, readWhileSending } from "./pos-send-reads.ts";

export type PosPhase = "sending-invoice" | "resolving-send" | "polling" | "canceling" | "confirming" | "releasing" | "printing" | "draining" | "finished";

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
  /** When it went out, if it waited first (flow.ts sentOut): its margins count from then. */
  readonly sendOutAt?: number;
  /** Told a technician that the invoice could not be resolved (once). */
  readonly sendAlarmed?: boolean;
  readonly windows: number;
  readonly windowDeadline: number;
  readonly cancelWanted?: string;
  readonly cancelAttempts: number;
  /** A failed cancel is retried no earlier than this (absolute ms); polls go on meanwhile. */
  readonly nextCancelAt?: number;
  readonly cancelAlarmed?: boolean;
  /** A technician stopped the point: a payment that still comes in is collected (read), never released. */
  readonly technicianStop?: boolean;
  /** Told a technician that a status read was refused with a definite code (once; polling goes on). */
  readonly readRefusedAlarmed?: boolean;
  /** The flow's invoice is the terminal's current one and its reference is unknown (a lost answer): polled without one. */
  readonly refUnknown?: boolean;
  /** The last sendInvoice has had no definite answer: it may still open an invoice (pos-late-send.ts). */
  readonly sendUnanswered?: boolean;
  /**
   * When each sendInvoice whose answer never came was sent, oldest first; an invoice of one seen on
   * the terminal takes the oldest off. A flow that ends with any hands them to its terminal's
   * lost-send watch (agent/core/send-watch.ts) — unlike sendUnanswered, a later answered send
   * does not clear them.
   */
  readonly lostSends?: readonly number[];
  /** The flow's own outcome once its payment is settled: it only watches for late invoices of its own now. */
  readonly collected?: string;
  /** A late invoice of the flow's was read open while the product went out: closed once it is out. */
  readonly lateOpen?: boolean;
  /**
   * A late invoice was seen open after the payment. The first one can only be the lost send,
   * landed; once the flow superseded it, an open read may be that one still (pos-late-send.ts).
   */
  readonly lateSeen?: boolean;
  /** ersReferences of late invoices read PAID after the flow's own payment (each told to a technician once). */
  readonly paidAgain?: readonly string[];
  /** An open current invoice of unknown reference was adopted as a lost send, landed: a PAID read later may be that one (pos-send-reads.ts). */
  readonly adoptedUnseen?: boolean;
  /** An invoice of the flow's, reference known, left open under a payment found by a read made while sending: cancelled by it once the product is out. */
  readonly lateRef?: string;
  /** The outcome of a flow that ended while reads made during a send were out (phase draining, pos-send-reads.ts). */
  readonly drainOutcome?: string;
  /** What the customer is shown once the drain ends (nothing if a payment turned up). */
  readonly drainDisplay?: string;
  /** Reads of the current invoice made while a re-send is out, oldest first; volatile (pos-send-reads.ts). */
  readonly sendReads?: readonly string[];
  /** Status reads out at once, oldest first (the newest is `pending`); volatile (pos-reads.ts). */
  readonly reads?: readonly string[];
  /** The first PAID read, waiting for its confirming read (pos-confirm.ts). */
  readonly paidSeen?: Extract<GlaseOutcome, { kind: "ok" }>;
  /**
   * Other PAIDs of the flow's read while paidSeen is being confirmed (lost sends', landed), oldest
   * first: the next is the sale's payment if paidSeen is reversed; once one is released on, the
   * rest are second payments (pos-confirm.ts).
   */
  readonly paidCandidates?: readonly Extract<GlaseOutcome, { kind: "ok" }>[];
  readonly ersReference?: string;
  /**
   * When the agent journaled the PAID (absolute ms): the sale's time for the bookkeeping export,
   * whose windows must be Glase's periods — Glase files a payment by when it was paid, not by when
   * the product was delivered and the receipt kept (a wash runs for minutes across a close).
   */
  readonly paidAt?: number;
  readonly receipt?: ReceiptContent;
  /**
   * The release is handed to a kiosk controller through the KioskHost (agent/kiosk/), which
   * journals the release request and its result itself: after a restart the release effect is
   * asked again (the host answers from its journal; the controller releases at most once), and a
   * failed release ends the flow without a receipt — the host refunds what was not delivered.
   */
  readonly controllerRelease?: boolean;
  readonly pointKind?: "fuel" | "ev" | "kiosk";
}

export interface PosStart {
  readonly flowId: string;
  readonly point: number;
  readonly terminalId: string;
  readonly currency: string;
  readonly stationName: string;
  readonly amountMinor: number;
  readonly rows?: readonly InvoiceRow[];
  readonly controllerRelease?: boolean;
  /** The point's kind (its receipt label): a kiosk, car wash or vending machine is not a "pump". */
  readonly pointKind?: "fuel" | "ev" | "kiosk";
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

function onStatus(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  if (o.kind === "ok") {
    const next: S = { ...s, version: o.version ?? s.version };
    if (o.status === "PAID" && o.ersReference) return confirmPaid(next, o, ctx);
    if (o.status === "CANCELED" || o.status === "FAILED" || o.status === "EXPIRED") return finish(next, "canceled", display(s, "Payment cancelled"));
    return nextPoll(next, ctx);
  }
  if (o.kind === "result" && (o.code === 54 || isCredentialsCode(o.code))) {
    return pollOnRefused(s, o.code, ctx);
  }
  return nextPoll(s, ctx);
}

function onGlase(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  const done: S = { ...s, pending: undefined, reads: undefined };
  switch (s.phase) {
    case "sending-invoice": {
      // An answer that does not say whether it was processed leaves an invoice that may still open.
      const unknown = sendMayHaveOpened(o);
      const sent: S = { ...done, sendUnanswered: unknown, ...(unknown ? { lostSends: lostOne(s.lostSends, sentOut(s), ctx) } : {}) };
      if (o.kind === "ok" && o.invoiceReference) {
        // (Superseding one whose reference was unknown to cancel it: the first poll answer cancels this one.)
        const open: S = { ...sent, sendUnanswered: false, invoiceRef: o.invoiceReference, refUnknown: false, windows: 1, windowDeadline: ctx.now + ctx.settings.posWindowMs };
        // A technician stop while it was sent: cancel it now (a cancel answered 50 is collected, never released).
        if (s.cancelWanted === "technician") return withEffects(cancel(open, ctx), timer("customer", ctx.settings.posWindowMs));
        return withEffects(poll(open, ctx), timer("customer", ctx.settings.posWindowMs), ...(s.cancelWanted === undefined ? [display(s, "Scan the Glase code to pay")] : []));
      }
      // The invoice may exist: read the terminal's current one (pos-lost-send.ts).
      if (unknown) return statusRead({ ...sent, refUnknown: false }, ctx, undefined, 0, { phase: "resolving-send" });
      if (s.refUnknown) return onSupersedeFailed(sent, o, ctx);
      if (isTemporary(o)) return finish(sent, "offline", display(s, "Glase unavailable"));
      return finish(sent, "failed", { type: "alarm", code: "glase-sendInvoice", message: `point ${s.point}: sendInvoice answered ${o.kind === "result" ? o.code : "?"}` });
    }
    case "resolving-send":
      return onCurrentInvoice(done, o, ctx);
    case "polling":
      return s.refUnknown && s.invoiceRef === undefined ? onCurrentStatus(done, o, ctx) : onStatus(done, o, ctx);
    case "canceling":
      if (o.kind === "ok" || (o.kind === "result" && (o.code === 95 || o.code === 55))) return finish(done, "canceled", display(s, "Payment cancelled"));
      // 50: the customer paid meanwhile — collect it; never leave a PAID unread.
      if (o.kind === "result" && o.code === 50) return poll({ ...done, cancelWanted: undefined }, ctx);
      if (o.kind === "result" && o.code === 54) return finish(done, "canceled");
      // 51/48 (customer paying right now), temporary or unknown: keep polling at the poll interval;
      // the cancel is retried after a growing backoff, between polls.
      return { state: { ...done, phase: "polling", nextCancelAt: ctx.now + backoffMs(s.cancelAttempts, ctx) }, effects: [timer("poll", readDelay(s, ctx))] };
    case "confirming":
      return onConfirmRead(done, o, ctx);
    case "draining":
      return same(s);
    case "releasing":
    case "printing":
      // A read of the terminal's current invoice while a late invoice of ours may open (pos-late-send.ts).
      return onWatchAnswer(done, o, ctx);
    case "finished":
      return same(s);
    default:
      return assertNever(s.phase, "pos phase");
  }
}

function onTimer(s: S, name: string, ctx: FlowContext): Step<S> {
  if (name === "poll" || name === "retry") {
    if (s.phase === "sending-invoice") return readWhileSending(s, ctx);
    if (s.phase === "draining") return drained(s);
    if (s.pending !== undefined) return overlapRead(s, ctx);
    if (s.phase === "releasing" || s.phase === "printing") return watchRead(s, ctx);
    if (s.phase === "polling") return poll(s, ctx);
    if (s.phase === "confirming") return confirmRead(s, ctx);
    if (s.phase === "resolving-send") return statusRead(s, ctx, undefined, 0);
    return same(s);
  }
  if (name === "customer" && (s.phase === "polling" || s.phase === "canceling")) {
    if (s.windows <= ctx.settings.posExtraWindows) {
      // Unattended "try again": another window on the same invoice.
      return { state: { ...s, windows: s.windows + 1, windowDeadline: ctx.now + ctx.settings.posWindowMs }, effects: [timer("customer", ctx.settings.posWindowMs)] };
    }
    const wanting: S = { ...s, cancelWanted: "unattended-timeout" };
    // Reference unknown: the superseding invoice follows the next poll that shows ours still open.
    return s.pending === undefined && s.invoiceRef !== undefined ? cancel(wanting, ctx) : same(wanting);
  }
  return same(s);
}

export function transitionPos(s: S, input: FlowInput, ctx: FlowContext): Step<S> {
  if (s.phase === "finished") return same(s);
  switch (input.type) {
    case "glase": {
      // A read made while a re-send was out answers in whatever phase the flow is now (pos-send-reads.ts).
      if (isSendRead(s, input)) return onSendRead(s, input.ref, input.outcome, ctx);
      // Status reads may overlap and answer out of order (pos-reads.ts): they are taken by send order.
      const read = readAnswer(s, input, ctx);
      if (read?.kind === "step") return read.step;
      const at = read?.kind === "answer" ? read.state : s;
      const o = pendingOutcome(at, input);
      return o === undefined ? same(s) : onGlase(withSendOut(at, input), o, ctx);
    }
    case "released":
      if (s.phase !== "releasing") return same(s);
      if (s.controllerRelease && !input.ok) return settle(s, "not-delivered", ctx, finish);
      return {
        state: { ...s, phase: "printing" },
        effects: [
          ...(input.ok ? [] : [{ type: "alarm", code: "release-failed", message: `point ${s.point}: product release failed after payment ${s.ersReference}` } as const]),
          { type: "print", receipt: s.receipt! },
        ],
      };
    case "printed":
      return s.phase === "printing" ? settle(s, s.technicianStop ? "paid-not-released" : "paid", ctx, finish) : same(s);
    case "timer":
      return onTimer(s, input.name, ctx);
    case "recover":
      return recover(s, ctx);
    case "technician":
      if (input.action === "stop" || input.action === "cancel") {
        // A technician's stop: a payment that still comes in is collected, never released. A cancel
        // (the kiosk's customer gave up): one that was paid anyway is released as any payment —
        // never kept without the product (the kiosk host would otherwise see it as cancelled).
        const stop = input.action === "stop" ? { technicianStop: true } : {};
        // Ending (reads still out): a payment a read still finds is read, never released after a stop (review 9-q Q2).
        if (s.phase === "draining") return same({ ...s, ...stop });
        // Before the invoice is known, the cancel follows once it is (a lost one is superseded first).
        if (s.phase === "sending-invoice" || s.phase === "resolving-send") return same({ ...s, cancelWanted: "technician", ...stop });
        if (s.phase === "confirming") return same({ ...s, ...stop }); // paid: a stop reads it, never releases
        if (s.phase !== "polling" && s.phase !== "canceling") return same(s);
        const wanting: S = { ...s, cancelWanted: "technician", ...stop };
        return s.pending === undefined && s.invoiceRef !== undefined ? cancel(wanting, ctx) : same(wanting);
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
    case "terminal":
    case "withheld":
      return same(s);
    default:
      return assertNever(input, "input");
  }
}

function recover(s: S, ctx: FlowContext): Step<S> {
  // A sendInvoice cut off by the restart may have been processed (and may still be, at any time):
  // a lost send — if the flow ends before seeing it, the terminal's lost-send watch takes it over.
  const lost = s.phase === "sending-invoice" ? { lostSends: lostOne(s.lostSends, sentOut(s), ctx) } : {};
  const fresh: S = { ...s, pending: undefined, reads: undefined, sendReads: undefined, attempts: 0, ...lost };
  switch (s.phase) {
    case "sending-invoice":
    case "resolving-send":
      return statusRead(fresh, ctx, undefined, 0, { phase: "resolving-send" });
    case "confirming":
      return confirmRead(fresh, ctx);
    case "polling":
    case "canceling":
      // Read first: the cancel (if wanted) follows the next open status.
      return withEffects(poll(fresh, ctx), timer("customer", Math.max(0, s.windowDeadline - ctx.now)));
    case "releasing":
      if (s.controllerRelease) return { state: fresh, effects: [{ type: "release", point: s.point, amountMinor: s.amountMinor }, ...watchAgain(fresh, ctx)] };
      // We cannot know whether the product went out: never release twice; tell a technician.
      return {
        state: { ...fresh, phase: "printing" },
        effects: [{ type: "alarm", code: "release-unknown", message: `point ${s.point}: restarted during product release of ${s.ersReference}` }, { type: "print", receipt: s.receipt! }, ...watchAgain(fresh, ctx)],
      };
    case "printing":
      return { state: fresh, effects: [{ type: "print", receipt: s.receipt! }, ...watchAgain(fresh, ctx)] };
    case "draining":
      // Its reads died with the process: the flow ends as it was ending.
      return drained(fresh);
    case "finished":
      return same(s);
    default:
      return assertNever(s.phase, "pos phase");
  }
}

/** After a restart while the product goes out: the watch of a late invoice resumes (pos-late-send.ts). */
function watchAgain(s: S, ctx: FlowContext): Effect[] {
  return watching(s, ctx) ? [timer("poll", 0)] : [];
}
