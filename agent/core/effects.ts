// Effects are data: a transition says what must happen, the shell (agent/flows/) makes it happen,
// journaling every intent before it runs. Effects never carry terminal passwords: the shell looks
// the credentials up by the flow's terminal, so the journal never holds a secret.
import type { Invoice } from "../../contracts/glase/types.ts";
import type { ReceiptContent } from "../../contracts/printer.ts";

/** The Glase calls the flows make, with program-unit arguments. */
export type GlaseCall =
  | { readonly op: "sendInvoice"; readonly invoice: Invoice }
  /** invoiceReference undefined = the terminal's current invoice (§9 A12). */
  | { readonly op: "getPaymentStatus"; readonly invoiceReference?: string; readonly version: number }
  | { readonly op: "updateInvoice"; readonly invoiceReference: string; readonly invoice: Invoice }
  | { readonly op: "cancelInvoice"; readonly invoiceReference: string }
  | { readonly op: "commitReservation"; readonly invoiceReference: string; readonly amountMinor: number; readonly currency: string }
  | { readonly op: "submitPaymentReceipt"; readonly ersReference: string; readonly receipt: ReceiptContent }
  | { readonly op: "refundPayment"; readonly ersReference: string; readonly invoice: Invoice }
  /** terminalId set = per-terminal period (TERMINALID=…); otherwise the whole shop. */
  | { readonly op: "markTransactionPeriod"; readonly terminalId?: string }
  | { readonly op: "executeReport"; readonly reportId: string; readonly transactionPeriodId: string; readonly terminalId?: string };

export type GlaseOp = GlaseCall["op"];

/** Named timers of a flow; starting a timer with a name that runs replaces it. */
export type TimerName =
  | "poll" // next getPaymentStatus
  | "customer" // reservation/payment wait, POS window
  | "nozzle" // customer never lifts the nozzle
  | "stall" // no delivery progress
  | "retry" // backoff before retrying a failed call
  | "lapse" // the delivery must stop so settlement ends before the reservation lapses
  | "secure" // stop again a point that may still hold a settled or parked flow's authorization
  | "report" // reconciliation wait
  | "watch"; // preliminary: read the reservation while the pump runs (preliminary-watch.ts)

export type Effect =
  /**
   * ref = the clientReference journaled with the intent and sent on the wire. yieldsToHolder: sent
   * only if no flow holds the call's terminal when it goes out, else not at all (answered by a
   * `withheld` input) — a lost-send watch's superseding sendInvoice, which would supersede (§6.4)
   * the invoice of a customer who just started there; and a held terminal's sends wait for it.
   */
  | { readonly type: "glase"; readonly ref: string; readonly call: GlaseCall; readonly yieldsToHolder?: true }
  | {
      readonly type: "authorize";
      readonly point: number;
      readonly limitMinor: number;
      readonly currency: string;
      readonly transactionId: string;
      readonly gradeId?: string;
    }
  | { readonly type: "stop"; readonly point: number }
  | { readonly type: "display"; readonly point: number; readonly text: string }
  | { readonly type: "saleRecord"; readonly transactionId: string }
  | { readonly type: "print"; readonly receipt: ReceiptContent }
  | { readonly type: "startTimer"; readonly name: TimerName; readonly delayMs: number }
  | { readonly type: "cancelTimer"; readonly name: TimerName }
  | {
      readonly type: "alarm";
      readonly code: string;
      readonly message: string;
      /** A payment the alarm says nothing was released for (review 7 #3): the refund desk accepts `ctl refund` of it as told. */
      readonly refundable?: { readonly ersReference: string; readonly amountMinor: number; readonly currency: string; readonly point: number; readonly origin?: string };
    }
  /** Kiosk: the payment is read, hand out the product/service. */
  | { readonly type: "release"; readonly point: number; readonly amountMinor: number };

/**
 * Every timeout and retry bound the machines need; EngineSettings (agent/engine-api.ts) adds the
 * shell's own. All durations in milliseconds unless named *S.
 */
export interface FlowSettings {
  /** commitReservationTimeout sent with preliminary invoices (seconds). */
  readonly commitReservationTimeoutS: number;
  /** Settlement must finish this long before the reservation lapses (seconds). */
  readonly commitSafetyMarginS: number;
  /** Per-call timeout of Glase calls; also how long an answer may still arrive after a lost one. */
  readonly glaseCallTimeoutMs: number;
  /** Poll interval while an invoice is open (contract: 1 s). */
  readonly pollIntervalMs: number;
  /** How long the customer has to confirm the reservation/payment in the app before we cancel. */
  readonly reservationWaitMs: number;
  /** After authorization: customer never lifts the nozzle / plugs in ⇒ cancel, no charge. */
  readonly nozzleLiftTimeoutMs: number;
  /** No progress for this long during delivery ⇒ stop and settle what was metered. */
  readonly deliveryStallMs: number;
  /** POS poll window (contract: 30 s). */
  readonly posWindowMs: number;
  /** Unattended policy: how many extra windows before cancelling (0 = cancel after the first). */
  readonly posExtraWindows: number;
  /** Capped exponential backoff with jitter for retries of temporary failures. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Reconciliation: wait after markTransactionPeriod, delay between REPORT_NOT_READY retries, max retries. */
  readonly reportWaitMs: number;
  readonly reportRetryMs: number;
  readonly reportMaxRetries: number;
  /** Also send submitPaymentReceipt after PAID. */
  readonly submitReceipts: boolean;
  /**
   * How long a sendInvoice that was never answered is still looked for on its terminal after its
   * flow ended (agent/core/send-watch.ts); default 15 min.
   */
  readonly lostSendWatchMs?: number;
}

/** What every transition gets besides state and input: time, settings and a random draw for jitter. */
export interface FlowContext {
  readonly now: number;
  readonly settings: FlowSettings;
  /** Uniform in [0, 1); the shell draws it, tests pin it. */
  readonly random: number;
}

/** Capped exponential backoff with full jitter in [delay/2, delay]. attempt counts from 1. */
export function backoffMs(attempt: number, ctx: FlowContext): number {
  const { retryBaseMs, retryMaxMs } = ctx.settings;
  const delay = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(delay / 2 + (delay / 2) * ctx.random);
}

/** clientReference of the n-th call of a flow: unique per call, ≤ 32 chars (§6.15). */
export function clientRef(flowId: string, n: number): string {
  return `${flowId}-${n}`.slice(-32);
}

export function glase(ref: string, call: GlaseCall): Effect {
  return { type: "glase", ref, call };
}

export function timer(name: TimerName, delayMs: number): Effect {
  return { type: "startTimer", name, delayMs: Math.max(0, delayMs) };
}

export function cancelTimer(name: TimerName): Effect {
  return { type: "cancelTimer", name };
}

/** Glase effects that are safe to re-run any time (pure reads); their intents need no journal write. */
export function isReadOnly(effect: Effect): boolean {
  return (
    (effect.type === "glase" && effect.call.op === "getPaymentStatus") ||
    effect.type === "startTimer" ||
    effect.type === "cancelTimer" ||
    effect.type === "display" ||
    effect.type === "saleRecord"
  );
}

export function assertNever(x: never, what: string): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(x)}`);
}
