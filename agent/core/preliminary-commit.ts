// Reading the status after a commit of a preliminary payment (agent/core/preliminary.ts): once a
// commit may have happened the invoice may be PAID, and Glase reverses a PAID not read within 20 s
// (§6.3) — so the reads go on at the poll cadence whatever they answer (a lost answer, 90, and also
// a definite code such as 33, 20/21/29/37 or 54: one bad answer is no proof the next read fails,
// §6.14 B.5), with an alarm at once, and the flow parks only once the reservation can no longer be
// paid (it has surely lapsed, plus a reversal window). A RESERVED read right after an ambiguous
// commit proves nothing until any answer to it would have arrived.
import { type FlowContext, backoffMs, timer } from "./effects.ts";
import { type Step, isCredentialsCode, readDelay, withEffects, sentOut } from "./flow.ts";
import type { GlaseOutcome } from "./inputs.ts";
import type { PreliminaryState } from "./preliminary-state.ts";
import { closeLate, commit, describe, paid, park, pastDeadline } from "./preliminary-steps.ts";

type S = PreliminaryState;

/** Whether a failed commit may still have been applied: only a definite "not processed" says no. */
export function commitMayHaveHappened(o: GlaseOutcome): boolean {
  if (o.kind === "transport") return o.indefinite;
  // Only a request that never reached Glase provably did nothing. 93/94 are "busy" / "backend
  // unavailable" (§5.8) — no promise that nothing was applied; 90 and unknown codes tell nothing.
  return o.kind === "result";
}

/** How long PAID with an ersReference may take to show after an accepted commit before an alarm. */
export function confirmWindowMs(ctx: FlowContext): number {
  return Math.max(30_000, 10 * ctx.settings.pollIntervalMs);
}

/** Another status read at the poll cadence: whenever a commit may have happened, a PAID must not sit unread. */
function readAgain(s: S, ctx: FlowContext): Step<S> {
  return { state: { ...s, pending: undefined, recommit: false }, effects: [timer("retry", readDelay(s, ctx))] };
}

/**
 * Whether the invoice may be PAID by now (a commit accepted, or one whose outcome is unknown). Then
 * the reads go on past the commit deadline — parking would stop them, and a PAID left unread 20 s
 * is reversed — until the reservation has surely lapsed (any status read then is final) and a
 * reversal window more.
 */
function mayBePaid(s: S, ctx: FlowContext): boolean {
  if (!s.commitAccepted && !s.commitUnknown) return false;
  const lapsed = (sentOut(s) ?? 0) + (s.reservationTimeoutS ?? ctx.settings.commitReservationTimeoutS) * 1000 + 2 * ctx.settings.glaseCallTimeoutMs;
  return ctx.now < lapsed + REVERSAL_WINDOW_MS;
}

/** The step with an alarm, told once per flow (confirmAlarmed). */
function alarmOnce(step: Step<S>, code: string, message: string): Step<S> {
  if (step.state.confirmAlarmed) return step;
  return withEffects({ state: { ...step.state, confirmAlarmed: true }, effects: step.effects }, { type: "alarm", code, message });
}

/** Glase reverses a PAID not read within 20 s (§6.3). */
const REVERSAL_WINDOW_MS = 20_000;

/** Reading after an accepted commit that does not show PAID with an ersReference yet: alarm once at the window's end, park once no read can change anything. */
function awaitConfirmation(s: S, what: string, ctx: FlowContext): Step<S> {
  if (pastDeadline(s, ctx) && !mayBePaid(s, ctx)) return park(s, "commit-unconfirmed", `invoice ${s.invoiceRef}: commit of ${s.commitMinor} accepted but the status still reads ${what} after its reservation could have lapsed`);
  const step = readAgain(s, ctx);
  if (s.confirmAlarmed || s.confirmDeadline === undefined || ctx.now < s.confirmDeadline) return step;
  return withEffects(
    { state: { ...step.state, confirmAlarmed: true }, effects: step.effects },
    { type: "alarm", code: "commit-unconfirmed", message: `point ${s.point}: commit of ${s.commitMinor} on ${s.invoiceRef} accepted, status still ${what}` },
  );
}

export function onCommitCheck(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  if (o.kind === "ok") {
    const next: S = { ...s, version: o.version ?? s.version };
    if (o.status === "PAID" && o.ersReference) return paid(next, o, ctx);
    if (o.status === "CANCELED" || o.status === "EXPIRED" || o.status === "FAILED") {
      // A late sendInvoice of ours may have superseded it (§6.4, §4.1): close the terminal's current
      // invoice (it may hold a customer's reservation) before parking with what was delivered.
      if (s.sendLost || s.reservationLost) return closeLate(next, ctx);
      return park(next, "reservation-lapsed", `invoice ${s.invoiceRef} is ${o.status}: delivered ${s.commitMinor} not paid`);
    }
    if (o.status === "PAID") return awaitConfirmation(next, "PAID without ersReference", ctx);
    if (o.status !== "RESERVED") return awaitConfirmation(next, o.status ?? "?", ctx);
    if (s.commitAccepted) return awaitConfirmation(next, "RESERVED", ctx);
    // An answer lost a moment ago may belong to a commit Glase is still processing: RESERVED
    // proves it was not applied only once any answer to it would have arrived — also past the deadline.
    if (s.commitUnknown && s.commitSentAt !== undefined && ctx.now < s.commitSentAt + 2 * ctx.settings.glaseCallTimeoutMs) return readAgain(next, ctx);
    if (pastDeadline(s, ctx)) {
      // Glase may apply a commit whose answer was lost at ANY later time (§4.1: clientRequestTimeout
      // 0, no server-side bound): RESERVED past two call timeouts proves nothing either. Never commit
      // again past the deadline; read on at the cadence until the reservation has surely lapsed and a
      // reversal window more (a late commit's PAID is then read within 20 s), and say so at once.
      if (mayBePaid(s, ctx)) return alarmOnce(readAgain(next, ctx), "commit-unconfirmed", `point ${s.point}: commit of ${s.commitMinor} on ${s.invoiceRef} may still be applied (its answer was lost) but the status reads RESERVED at the commit deadline; reading on until it lapses`);
      return park(next, "settlement-parked", `invoice ${s.invoiceRef} still RESERVED at the commit deadline`);
    }
    if (s.commitMinor === undefined) return park(next, "settlement-parked", `invoice ${s.invoiceRef} is RESERVED but nothing was metered`);
    if (s.commitSentAt !== undefined) {
      // A commit was refused (96, 93, 94) or never arrived: the next one waits a backoff, so a
      // Glase answering 96 while it reads RESERVED is not hammered.
      const attempts = s.attempts + 1;
      return { state: { ...next, attempts, recommit: true, pending: undefined }, effects: [timer("retry", backoffMs(attempts, ctx))] };
    }
    return commit(next, ctx);
  }
  if (o.kind === "result" && (o.code === 54 || isCredentialsCode(o.code))) {
    if (!mayBePaid(s, ctx)) return park(s, "settlement-parked", `getPaymentStatus of ${s.invoiceRef} answered ${o.code}`);
    // One definite answer does not mean the next read fails; a PAID left unread is reversed. Read
    // on at the cadence, and tell a technician at once (credentials or a reference Glase disowns).
    const step = readAgain(s, ctx);
    if (s.readRefusedAlarmed) return step;
    return withEffects({ state: { ...step.state, readRefusedAlarmed: true }, effects: step.effects }, {
      type: "alarm",
      code: "status-read-refused",
      message: `point ${s.point}: invoice ${s.invoiceRef} may be PAID (commit of ${s.commitMinor}) but getPaymentStatus answered ${o.code}; reading on at the poll cadence until it can no longer be paid`,
    });
  }
  if (pastDeadline(s, ctx)) {
    if (!mayBePaid(s, ctx)) return park(s, "settlement-parked", `point ${s.point}: could not read invoice ${s.invoiceRef} before the commit deadline (getPaymentStatus ${describe(o)})`);
    // A commit may have made it PAID: read on (a PAID unread for 20 s is reversed), and say so once.
    if (!s.confirmAlarmed) {
      return withEffects({ state: { ...readAgain(s, ctx).state, confirmAlarmed: true }, effects: readAgain(s, ctx).effects }, {
        type: "alarm",
        code: "commit-unconfirmed",
        message: `point ${s.point}: invoice ${s.invoiceRef} may be PAID (commit of ${s.commitMinor}) but cannot be read at the commit deadline (getPaymentStatus ${describe(o)}); reading on`,
      });
    }
  }
  return readAgain(s, ctx);
}

