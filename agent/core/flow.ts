// What every flow state shares, and the small helpers the machines build steps with.
import type { ReceiptContent } from "../../contracts/printer.ts";
import type { Effect, FlowContext, GlaseCall, GlaseOp } from "./effects.ts";
import { clientRef, glase } from "./effects.ts";
import type { FlowInput, GlaseOutcome } from "./inputs.ts";

export interface FlowBase {
  readonly flowId: string;
  readonly phase: string;
  /** Calls made so far: numbers the clientReferences. */
  readonly calls: number;
  /** The Glase call whose outcome the flow waits for (one at a time per flow). */
  readonly pending?: { readonly op: GlaseOp; readonly ref: string };
  /** Retries of the current step. */
  readonly attempts: number;
  /** Set when finished: "paid", "canceled", "refused", "offline", "failed", "refunded", "reported", "settled-manually". */
  readonly outcome?: string;
  /** When the last status read was sent (absolute ms): reads are spaced from their starts (volatile). */
  readonly lastReadAt?: number;
  readonly parkedReason?: string;
  /** The alarm text of a parked flow: raised again after a restart. */
  readonly parkedMessage?: string;
}

export interface Step<S> {
  readonly state: S;
  readonly effects: readonly Effect[];
}

/** Makes the next Glase call: numbers its clientReference and remembers it as pending. */
export function callGlase<S extends FlowBase>(s: S, call: GlaseCall, patch: Partial<S> = {}, yieldsToHolder = false): Step<S> {
  const ref = clientRef(s.flowId, s.calls + 1);
  const state = { ...s, ...patch, calls: s.calls + 1, pending: { op: call.op, ref } };
  return { state, effects: [{ type: "glase", ref, call, ...(yieldsToHolder ? { yieldsToHolder: true as const } : {}) }] };
}

/** A Glase call whose answer nobody waits for (submitPaymentReceipt): numbered, never pending. */
export function fireAndForget<S extends FlowBase>(s: S, call: GlaseCall): Step<S> {
  return { state: { ...s, calls: s.calls + 1 }, effects: [glase(clientRef(s.flowId, s.calls + 1), call)] };
}

/** The Glase outcome if the input answers the flow's pending call; stale answers are ignored. */
export function pendingOutcome(s: FlowBase, input: FlowInput): GlaseOutcome | undefined {
  if (input.type !== "glase" || s.pending === undefined) return undefined;
  if (input.ref !== s.pending.ref || input.op !== s.pending.op) return undefined;
  return input.outcome;
}

/**
 * A sendInvoice whose answer was lost: read the terminal's current invoice (no reference = the one
 * it holds open, §6.4) before anything else; the flow then supersedes it with a fresh sendInvoice.
 */
export function readCurrentInvoice<S extends FlowBase>(s: S, ctx: FlowContext, patch: Partial<S> = {}): Step<S> {
  return callGlase(s, { op: "getPaymentStatus", version: 0 }, { ...patch, lastReadAt: ctx.now });
}

/**
 * Delay before the next status read: one poll interval after the previous one was SENT (§6.3 "once
 * per second"), not after its answer — a slow answer must not stretch the cadence, or refused reads
 * on a slow link let a PAID sit unread past 20 s.
 */
export function readDelay(s: FlowBase, ctx: FlowContext): number {
  return Math.max(0, (s.lastReadAt ?? ctx.now) + ctx.settings.pollIntervalMs - ctx.now);
}

/** sendInvoices a flow makes to resolve lost answers before a technician is told (they go on, spaced). */
export const MAX_INVOICE_SENDS = 3;

/** A flow's last sendInvoice: when it was decided and, if it waited first, when it went out. */
export interface SentInvoice {
  readonly sentAt?: number;
  readonly sendOutAt?: number;
}

/**
 * When the flow's last sendInvoice went out: its decision (sentAt), or later when it waited behind
 * the terminal's lost-send watch's send (agent/engine/terminal-sends.ts; review 6 #3 of issue 9).
 * Whatever counts from the END of the send — by when its answer came, "settled", "surely lapsed",
 * a lost send's watch — counts from here. A deadline that must not be later than Glase's creation
 * of the invoice (the reservation's lapse, preliminary-steps.ts deadlines) counts from sentAt.
 */
export function sentOut(s: SentInvoice): number | undefined {
  return s.sentAt === undefined ? s.sendOutAt : Math.max(s.sentAt, s.sendOutAt ?? s.sentAt);
}

/** The state with the sendInvoice answer's `outAt` (when the send waited before going out), if any. */
export function withSendOut<S extends SentInvoice>(s: S, input: FlowInput): S {
  return input.type === "glase" && input.op === "sendInvoice" && input.outAt !== undefined ? { ...s, sendOutAt: input.outAt } : s;
}

/**
 * Whether a sendInvoice that went out at `sentAt` (sentOut) is past two call timeouts, by when any answer to it
 * would have arrived. Before that a fresh sendInvoice is surely unsafe — the late one would
 * supersede it under a customer who already confirmed it. After it, a late one is unlikely but not
 * excluded (§4.1: clientRequestTimeout 0, no server-side bound): the preliminary flow watches its
 * reservation while the pump runs (preliminary-watch.ts), the POS flow its current invoice
 * (pos-late-send.ts).
 */
export function sendSettled(sentAt: number | undefined, ctx: FlowContext): boolean {
  return ctx.now >= (sentAt ?? 0) + 2 * ctx.settings.glaseCallTimeoutMs;
}

/** A status that can still change (the customer may still pay or reserve it); unknown strings count as open (§6.15). */
export function isOpenStatus(status: string | undefined): boolean {
  return status !== "PAID" && status !== "CANCELED" && status !== "FAILED" && status !== "EXPIRED";
}

/** The PAID step's effects, behind a submitPaymentReceipt when the settings ask for one (its answer is not awaited). */
export function withReceiptSubmission<S extends FlowBase>(state: S, effects: readonly Effect[], ersReference: string, receipt: ReceiptContent, ctx: FlowContext): Step<S> {
  if (!ctx.settings.submitReceipts) return { state, effects };
  return withEffects(fireAndForget(state, { op: "submitPaymentReceipt", ersReference, receipt }), ...effects);
}

/** Text for the customer on the point's display. */
export function display(s: { readonly point: number }, text: string): Effect {
  return { type: "display", point: s.point, text };
}

export function same<S>(state: S): Step<S> {
  return { state, effects: [] };
}

export function withEffects<S>(step: Step<S>, ...effects: Effect[]): Step<S> {
  return { state: step.state, effects: [...step.effects, ...effects] };
}

export function isFinished(s: FlowBase): boolean {
  return s.phase === "finished";
}

export function isParked(s: FlowBase): boolean {
  return s.phase === "parked";
}

export function isCredentialsCode(code: number): boolean {
  return code === 20 || code === 21 || code === 29 || code === 33 || code === 37;
}

/**
 * xs:dateTime without zone, as the examples send it: a zoneless time is read as local time (the
 * till's clock), so it is the station's local time (the process time zone, TZ), never UTC.
 */
export function isoLocal(now: number): string {
  const d = new Date(now);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getFullYear(), 4)}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A parked flow after a restart: its alarm lived in memory only, so it is raised again. */
export function reraiseParked<S extends FlowBase>(s: S): Step<S> {
  const code = s.parkedReason ?? "parked";
  return { state: s, effects: [{ type: "alarm", code, message: s.parkedMessage ?? `flow ${s.flowId} is parked (${code}) and needs a technician` }] };
}
