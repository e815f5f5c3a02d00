// What a Glase answer leads to in each phase of a preliminary payment (preliminary.ts routes the
// answer here): the sendInvoice and its lost-answer resolution, the reservation poll, the cancel,
// the updateInvoice and the commit. The commit's status reads are preliminary-commit.ts, the
// closing reads preliminary-cancel.ts.
import { landedOne, lostOne, unanswered } from "./send-watch.ts";
import { type Effect, type FlowContext, assertNever, timer } from "./effects.ts";
import { MAX_INVOICE_SENDS, type Step, display, isCredentialsCode, isOpenStatus, readCurrentInvoice, readDelay, same, sendSettled, withEffects, sentOut } from "./flow.ts";
import { type GlaseOutcome, isAmbiguous, isTemporary, sendMayHaveOpened } from "./inputs.ts";
import type { PreliminaryState } from "./preliminary-state.ts";
import { cancelLater, onClosingRead } from "./preliminary-cancel.ts";
import { commitMayHaveHappened, confirmWindowMs, onCommitCheck } from "./preliminary-commit.ts";
import { onUpdateAnswer } from "./preliminary-pump.ts";
import { watching } from "./preliminary-watch.ts";
import { alarmFor, authorize, cancel, closeLate, commit, describe, finish, park, pastDeadline, poll, retryLater, send, settleRetry } from "./preliminary-steps.ts";

type S = PreliminaryState;

export function onGlase(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  const done: S = { ...s, pending: undefined };
  switch (s.phase) {
    case "sending-invoice":
      if (o.kind === "ok" && o.invoiceReference) {
        return poll({ ...done, invoiceRef: o.invoiceReference, version: 0, attempts: 0 }, "awaiting-reservation", ctx);
      }
      // The invoice may exist: read the terminal's current one, then supersede it (§6.4). It may
      // also be processed at any later time (§4.1): sendLost keeps the flow looking for it.
      if (sendMayHaveOpened(o)) return readCurrentInvoice({ ...done, sendLost: true, lostSends: lostOne(s.lostSends, sentOut(s), ctx) }, ctx, { phase: "resolving-send" } as Partial<S>);
      // Meant to supersede an open invoice of ours (a lost answer's): that one is still open — read
      // it again and supersede it later, never walk away from it.
      if (s.supersedes) return retryLater({ ...done, phase: "resolving-send" }, ctx);
      if (isTemporary(o)) return finish(done, "offline", display(s, "Glase unavailable - pay inside"));
      return finish(done, "failed", alarmFor(s, "sendInvoice", o), display(s, "Payment unavailable"));
    case "resolving-send":
      return onCurrentInvoice(done, o, ctx);
    case "awaiting-reservation":
      return onReservationPoll(done, o, ctx);
    case "canceling":
      if (o.kind === "ok" || (o.kind === "result" && (o.code === 95 || o.code === 54 || o.code === 55))) {
        return finish(done, s.cancelWanted === "settled-manually" ? "settled-manually" : "canceled", display(s, "Cancelled - no charge"));
      }
      if (o.kind === "result" && (o.code === 51 || o.code === 48)) return cancelLater(done, o.code, ctx);
      if (o.kind === "result" && o.code === 50) {
        // 50: the payment went through — poll to collect it (§6.14 B.4): a commit of ours applied
        // late (a technician's cancel of a parked flow) is read within 20 s, never left to reverse.
        if (s.commitSentAt !== undefined) {
          const alarm: Effect = { type: "alarm", code: "paid-while-canceling", message: `point ${s.point}: invoice ${s.invoiceRef} is PAID (commit of ${s.commitMinor}) although it was being cancelled; collecting it` };
          return withEffects(poll({ ...done, commitUnknown: true, attempts: 0 }, "checking-commit", ctx), alarm);
        }
        return park(done, "paid-while-canceling", `invoice ${s.invoiceRef} is PAID although we cancelled it and never committed it`);
      }
      if (isTemporary(o) || o.kind === "transport") {
        // Re-sending a cancel is safe (95 next time). Once the reservation would lapse anyway, stop.
        if (pastDeadline(s, ctx) || (s.commitDeadline === undefined && s.attempts >= 10)) {
          return finish(done, "canceled", { type: "alarm", code: "cancel-unconfirmed", message: `invoice ${s.invoiceRef}: cancel not confirmed; it lapses by itself` });
        }
        return retryLater(done, ctx);
      }
      return finish(done, "canceled", alarmFor(s, "cancelInvoice", o));
    case "updating":
      return onUpdateAnswer(done, o, ctx, (u) => onUpdated(u, o, ctx));
    case "committing":
      if (o.kind === "ok") {
        return poll({ ...done, commitAccepted: true, attempts: 0, confirmDeadline: ctx.now + confirmWindowMs(ctx) }, "checking-commit", ctx);
      }
      // Whatever came back, read the status before anything else (never commit blindly twice), at
      // once: the commit may have made the invoice PAID, and a PAID must be read within 20 s. A
      // definite code (11, 20/21/29/33/37) is not "not processed" in the contract (§6.15 maps them
      // to a credentials or amount problem only): the reads go on as after any unknown commit, and a
      // technician is told at once.
      const read = poll({ ...done, commitUnknown: s.commitUnknown === true || commitMayHaveHappened(o) }, "checking-commit", ctx);
      if (o.kind === "result" && (o.code === 11 || isCredentialsCode(o.code))) {
        return withEffects(read, { type: "alarm", code: "commit-rejected", message: `point ${s.point}: commitReservation of ${s.commitMinor} on ${s.invoiceRef} answered ${o.code}; reading its status on (it may have been applied)` });
      }
      return read;
    case "checking-commit":
      return onCommitCheck(done, o, ctx);
    case "closing":
      return onClosingRead(done, o, ctx);
    case "authorizing":
    case "authorized":
    case "delivering":
    case "stopping":
    case "checking-sale":
    case "printing":
    case "securing":
    case "parked":
    case "finished":
      return same(s);
    default:
      return assertNever(s.phase, "preliminary phase");
  }
}

function onUpdated(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  if (o.kind === "ok") return commit({ ...s, attempts: 0 }, ctx);
  if (o.kind === "result" && (o.code === 54 || o.code === 96)) return poll({ ...s, attempts: 0 }, "checking-commit", ctx);
  if (isTemporary(o) || o.kind === "transport" || (o.kind === "result" && o.code === 48)) return settleRetry(s, ctx, `updateInvoice ${describe(o)}`);
  // The rows are informational; the commit carries the amount. Note it and settle.
  return withEffects(commit({ ...s, attempts: 0 }, ctx), alarmFor(s, "updateInvoice", o));
}

/** The terminal's current invoice, read after a sendInvoice whose outcome is unknown. */
function onCurrentInvoice(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  if (!(o.kind === "ok" || (o.kind === "result" && o.code === 54))) {
    // Nothing tells what the terminal holds; an invoice of ours may hold the customer's reservation.
    // Read on until any such invoice has lapsed by itself (its lapse counts from when it was created,
    // at the latest two call timeouts after we sent it).
    const lapse = (sentOut(s) ?? ctx.now) + (s.reservationTimeoutS ?? ctx.settings.commitReservationTimeoutS) * 1000 + 2 * ctx.settings.glaseCallTimeoutMs;
    if (ctx.now < lapse) return retryLater(s, ctx);
    const message = `point ${s.point}: sendInvoice outcome unknown and its current invoice unreadable until any reservation on it lapsed`;
    return finish(s, "offline", { type: "alarm", code: "send-unresolved", message }, display(s, "Glase unavailable - pay inside"));
  }
  // The lost sendInvoice may still be processed: a fresh one now could be superseded by it.
  if (!sendSettled(sentOut(s), ctx)) return { state: { ...s, attempts: 0 }, effects: [timer("retry", readDelay(s, ctx))] };
  const open = o.kind === "ok" && isOpenStatus(o.status);
  if (!open && s.cancelWanted !== undefined) return finish(s, "canceled", display(s, "Cancelled - no charge"));
  if (!open && s.sends >= MAX_INVOICE_SENDS) {
    return finish(s, "failed", { type: "alarm", code: "send-unresolved", message: `point ${s.point}: sendInvoice kept failing (${s.sends} sends); nothing is open on the terminal now${unanswered(s.lostSends)}` }, display(s, "Payment unavailable"));
  }
  // Supersedes the open invoice, if any (§6.4); past the limit it goes on (the open one must be
  // closed, and only a new invoice can close it: its reference is unknown), and a technician is told.
  // (Open: the lost send landed — this one supersedes it; nothing of it is left to land.)
  const step = send({ ...s, attempts: 0, supersedes: open, ...(open ? { lostSends: landedOne(s.lostSends) } : {}) }, ctx);
  if (s.sends < MAX_INVOICE_SENDS || s.sendAlarmed) return step;
  return withEffects({ state: { ...step.state, sendAlarmed: true }, effects: step.effects }, { type: "alarm", code: "send-unresolved", message: `point ${s.point}: sendInvoice kept failing (${s.sends} sends); superseding the open invoice again` });
}

function onReservationPoll(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  if (o.kind === "ok") {
    const next: S = { ...s, version: o.version ?? s.version, attempts: 0 };
    // A technician stop wins over a reservation that arrives after it: the point is out of service;
    // so does closing a late invoice (the fresh one superseding it is cancelled, never served).
    if (o.status === "RESERVED") {
      if (s.cancelWanted === "stopped" || s.reservationLost) return cancel(next, s.cancelWanted ?? "stopped");
      return watching(authorize(next, ctx), ctx);
    }
    if (o.status === "CANCELED" || o.status === "FAILED" || o.status === "EXPIRED") {
      // After a lost send, CANCELED may be a late invoice of ours superseding this one (§6.4): it is
      // the terminal's current invoice now, open — close it, never leave it to be reserved unwatched.
      if (s.sendLost && !s.reservationLost && o.status === "CANCELED") {
        const alarm: Effect = { type: "alarm", code: "late-invoice", message: `point ${s.point}: invoice ${s.invoiceRef} was cancelled while awaiting the customer (a late sendInvoice may have superseded it); closing the terminal's current invoice` };
        return withEffects(closeLate(next, ctx), alarm, display(s, "Payment declined"));
      }
      return finish(next, "canceled", display(s, "Payment declined"));
    }
    if (o.status === "PAID") return park(next, "paid-without-reservation", `invoice ${s.invoiceRef} is PAID before any delivery`);
    if (s.cancelWanted !== undefined) return cancel(next, s.cancelWanted);
    return { state: next, effects: [timer("poll", readDelay(s, ctx))] };
  }
  if (o.kind === "result" && (o.code === 54 || isCredentialsCode(o.code))) {
    // One refused read is no proof the invoice is gone: the customer may still reserve it. Tell a
    // technician once and read on at the cadence; the customer timer cancels it at the deadline.
    const next: Step<S> = s.cancelWanted !== undefined ? cancel(s, s.cancelWanted) : { state: s, effects: [timer("poll", readDelay(s, ctx))] };
    if (s.readRefusedAlarmed) return next;
    return withEffects({ state: { ...next.state, readRefusedAlarmed: true }, effects: next.effects }, alarmFor(s, "getPaymentStatus", o));
  }
  if (s.cancelWanted !== undefined) return cancel(s, s.cancelWanted);
  return { state: s, effects: [timer("poll", readDelay(s, ctx))] };
}
