// The status reads of a POS flow (getPaymentStatus), overlapped on a slow or flaky Glase (issue 9,
// new-F). One read at a time lets a round trip of ~3 s and a few refused reads (54, 90) keep a PAID
// unread past the 20-second reversal: so while a read has been outstanding for a poll interval, the
// next one goes out anyway — at most MAX_READS_IN_FLIGHT per flow, each with the short status
// timeout — and reads stay once per second from their sends, however slow the answers are.
//
// Answers may come back out of order. They are taken by send order, never by arrival:
// - the newest read's answer is the flow's answer (every older one still out is then stale);
// - an older read's answer that shows the invoice settled (PAID with its ersReference, CANCELED,
//   FAILED, EXPIRED) is acted on at once — that is what overlapping is for; the newer reads still
//   out are then stale, so nothing older ever undoes what a newer answer showed;
// - an older read's other answers (still open, refused, unanswered) are dropped: a newer read is
//   out, and its answer decides (a PAID once read is never undone by an ISSUED sent before it).
import { type FlowContext, timer } from "./effects.ts";
import { type Step, callGlase, readDelay, same } from "./flow.ts";
import { type FlowInput, type GlaseOutcome } from "./inputs.ts";
import type { PosState } from "./pos.ts";

type S = PosState;
type GlaseInput = Extract<FlowInput, { type: "glase" }>;

/** Status reads of one flow that may be out at once (3 = the 3-s status timeout at 1 read/s). */
export const MAX_READS_IN_FLIGHT = 3;

/** The phases that read the invoice at the poll cadence (the ones a read may overlap in). */
const READING = new Set<S["phase"]>(["polling", "confirming", "resolving-send"]);

function inFlight(s: S): readonly string[] {
  if (s.pending?.op !== "getPaymentStatus") return [];
  return s.reads ?? [s.pending.ref];
}

/**
 * Sends a status read: of the flow's invoice, or (invoiceReference undefined) of the terminal's
 * current one. The poll timer is armed with it: should the answer not be back within a poll
 * interval, the next read goes out anyway (overlapRead).
 */
export function statusRead(s: S, ctx: FlowContext, invoiceReference: string | undefined, version: number, patch: Partial<S> = {}): Step<S> {
  const out = inFlight(s);
  const step = callGlase(s, { op: "getPaymentStatus", invoiceReference, version }, { ...patch, lastReadAt: ctx.now } as Partial<S>);
  return { state: { ...step.state, reads: [...out, step.state.pending!.ref] }, effects: [...step.effects, timer("poll", ctx.settings.pollIntervalMs)] };
}

/** The poll timer while a read is out: one more read if the newest has been out a poll interval. */
export function overlapRead(s: S, ctx: FlowContext): Step<S> {
  const out = inFlight(s);
  if (out.length === 0 || !READING.has(s.phase)) return same(s);
  // (Reads made while a re-send was out count too: pos-send-reads.ts.)
  if (out.length + (s.sendReads?.length ?? 0) >= MAX_READS_IN_FLIGHT) return same(s); // the next answer (or timeout) re-arms the poll
  if (readDelay(s, ctx) > 0) return { state: s, effects: [timer("poll", readDelay(s, ctx))] };
  // The same read again: the current invoice while resolving a lost send, else the flow's invoice.
  return s.phase === "resolving-send" ? statusRead(s, ctx, undefined, 0) : statusRead(s, ctx, s.invoiceRef, s.version);
}

function settled(o: GlaseOutcome): boolean {
  if (o.kind !== "ok") return false;
  return (o.status === "PAID" && o.ersReference !== undefined) || o.status === "CANCELED" || o.status === "FAILED" || o.status === "EXPIRED";
}

/**
 * Whose answer a glase input is, when the flow has status reads out: "answer" = decide on it (the
 * reads are then all over), "drop" = an older read's answer that a newer one in flight supersedes,
 * "stale" = not one of ours (or older than one already decided on). undefined = not a read answer
 * (the flow's pending call decides, pendingOutcome).
 */
export function readAnswer(s: S, input: GlaseInput, ctx: FlowContext): { readonly kind: "answer"; readonly state: S } | { readonly kind: "step"; readonly step: Step<S> } | undefined {
  if (input.op !== "getPaymentStatus" || s.pending?.op !== "getPaymentStatus") return undefined;
  const out = inFlight(s);
  const i = out.indexOf(input.ref);
  if (i < 0) return { kind: "step", step: same(s) };
  const newest = i === out.length - 1;
  if (newest || settled(input.outcome)) return { kind: "answer", state: { ...s, reads: undefined, pending: { op: "getPaymentStatus", ref: input.ref } } };
  // A newer read is out: its answer decides. The poll goes on from the newest send.
  return { kind: "step", step: { state: { ...s, reads: out.slice(i + 1) }, effects: [timer("poll", readDelay(s, ctx))] } };
}
