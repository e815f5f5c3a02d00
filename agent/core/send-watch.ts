// The lost-send watch of a terminal (issue 9, review 3 H). A sendInvoice whose answer never came
// may be processed by Glase at ANY later time (§4.1: clientRequestTimeout 0, no server-side
// bound), long after the flow that sent it has ended. Landing on an idle cash-register terminal it
// is the terminal's current invoice: the next customer who scans the sticker pays it (POS: a PAID
// nobody reads is reversed 20 s later, the product never released) or reserves it (preliminary: the
// money held until the lapse, no pump authorized). So the flow hands the hazard to the terminal:
// its finished state carries the lost send (`lostSendAt`, journaled with the finish), and the
// engine runs this watch for it (agent/engine/send-watches.ts). Its reference came back with the
// lost answer, so it can be found only as the terminal's current invoice (getPaymentStatus
// without a reference, §9 A12). The watch:
// - reads the current invoice at the poll cadence (a PAID must be read within 20 s, §6.3);
// - a PAID of the lost send's flow (its clientInvoiceId, another ersReference than the flow's own
//   payment) is read — so it stands, never reversed unseen — and told to a technician once with
//   the exact command (alarm paid-unclaimed, `ctl refund ERS AMOUNT`): nothing was released for it,
//   and a refund is never sent on a guess (the refund flow's pre-mark and check rules apply there).
//   The alarm is kept in the journal with the payment until acknowledged (review 7 #1), and the
//   refund desk takes that command as printed though the payment has no receipt (#3);
// - an open current invoice while no flow holds the terminal is a late invoice of ours (every flow
//   closes its invoice before it ends): it is superseded (§6.4) by an invoice of the watch's own,
//   in reservation mode — a customer confirming it only reserves, never pays — which is cancelled
//   by its reference at once. While a flow runs on the terminal, its open invoice is its own: the
//   watch only reads (a late invoice landing under it cancels the flow's invoice; once the flow has
//   ended, the watch finds the late one open and closes it). The superseding send yields to a flow
//   (review 4 N): it goes out only if no flow holds the terminal at that moment — else it is
//   withheld, not made — and a flow's sends on the terminal wait for its answer (the engine's
//   terminal-sends.ts), so it never supersedes a customer's invoice sent while it was out;
// - ends when every lost send it holds was seen paid, or landed and superseded (its superseding send
//   answered with a reference: refused or unanswered, the late invoice may still be open), or after lostSendWatchMs from
//   its send with an alarm naming what is still unknown (lost-send-unresolved).
import { money } from "../../base/money.ts";
import type { Invoice } from "../../contracts/glase/types.ts";
import { type Effect, type FlowContext, assertNever, backoffMs, cancelTimer, clientRef, glase, timer } from "./effects.ts";
import { type Step, callGlase, isOpenStatus, isoLocal, pendingOutcome, same } from "./flow.ts";
import { type FlowInput, type GlaseOutcome, isAmbiguous } from "./inputs.ts";

/** How long a lost send is watched for when the settings do not say (15 min). */
export const DEFAULT_LOST_SEND_WATCH_MS = 15 * 60_000;

/** Cancels of the superseding invoice after which a technician is told (they go on). */
const CANCEL_ALARM_AFTER = 10;

/** commitReservationTimeout of the superseding invoice: a reservation on it lapses soon even if no cancel lands. */
const SUPERSEDER_RESERVATION_S = 120;

/** Own payments of ended flows a watch remembers (the terminal's current invoice is one of the last). */
const CLAIMED_KEPT = 20;

export { landedOne, lostOne, unanswered } from "./send-watch-state.ts";
export type { LostSend, SendWatchPhase, SendWatchStart, SendWatchState, Suspect } from "./send-watch-state.ts";
import type { LostSend, SendWatchStart, SendWatchState, Suspect } from "./send-watch-state.ts";

type S = SendWatchState;

export function startSendWatch(p: SendWatchStart, ctx: FlowContext): Step<S> {
  const s: S = { kind: "send-watch", phase: "watching", calls: 0, attempts: 0, flowId: p.flowId, terminalId: p.terminalId, currency: p.currency, stationName: p.stationName, lost: [...p.lost].sort((a, b) => a.sentAt - b.sentAt), origins: [...new Set(p.lost.map((l) => l.origin))], busy: p.busy, supersedes: 0, cancels: 0, paidSeen: [], ...(p.claimed !== undefined ? { claimed: p.claimed.slice(-CLAIMED_KEPT) } : { claimsUnknown: true }), ...(p.unproven?.length ? { unproven: p.unproven.slice(-CLAIMED_KEPT) } : {}) };
  return read(s, ctx);
}

function horizon(ctx: FlowContext): number {
  return ctx.settings.lostSendWatchMs ?? DEFAULT_LOST_SEND_WATCH_MS;
}

function amount(minor: number): string {
  return (minor / 100).toFixed(2);
}

/**
 * A read of the terminal's current invoice (no reference, §9 A12), at the poll cadence whatever
 * else the watch does: a late invoice paid while a superseding send is out must still be read
 * within 20 s. One read out at a time (watchRef, volatile); the status timeout answers a hung one.
 */
function read(s: S, ctx: FlowContext): Step<S> {
  const poll = timer("poll", ctx.settings.pollIntervalMs);
  if (s.watchRef !== undefined) return { state: s, effects: [poll] };
  const ref = clientRef(s.flowId, s.calls + 1);
  return { state: { ...s, calls: s.calls + 1, watchRef: ref, watchStale: undefined, lastReadAt: ctx.now }, effects: [glase(ref, { op: "getPaymentStatus", version: 0 }), poll] };
}

/**
 * What an expired lost send leaves the technician to check in Glase. Every send of a sale carries
 * the sale's flow id as clientInvoiceId, so the sale's own paid re-send is "an invoice with that
 * clientInvoiceId paid" too (review 9 #1): only a payment other than the sale's own was released
 * for nothing, and a sale that may hold a payment it never learnt is checked, never told to refund.
 */
function whatToCheck(l: LostSend): string {
  const refund = `ctl refund ERSREFERENCE ${amount(l.amountMinor)} --force --point ${l.point}`;
  if (l.collected !== undefined) {
    return `flow ${l.origin} was paid by ${l.collected} and released for it; only a second paid invoice with clientInvoiceId ${l.origin}, other than ${l.collected}, got nothing for its money: ${refund}`;
  }
  if (l.ownUnknown) {
    return `flow ${l.origin} ended without learning its own payment, so an invoice with clientInvoiceId ${l.origin} paid may be that delivered sale's own payment: check the sale in Glase and refund only a second payment of it (${refund})`;
  }
  return `if Glase shows an invoice with clientInvoiceId ${l.origin} paid, nothing was released for it: ${refund}`;
}

/** Lost sends past the watch's horizon are given up, each with an alarm naming it. */
function expire(s: S, ctx: FlowContext): { state: S; effects: Effect[] } {
  const gone = s.lost.filter((l) => ctx.now >= l.sentAt + horizon(ctx));
  if (gone.length === 0) return { state: s, effects: [] };
  const effects: Effect[] = gone.map((l) => ({
    type: "alarm",
    code: "lost-send-unresolved",
    message: `terminal ${s.terminalId} (point ${l.point}): the sendInvoice of flow ${l.origin} (${amount(l.amountMinor)} ${s.currency}, sent ${new Date(l.sentAt).toISOString()}) was never answered and not seen on the terminal in ${Math.round(horizon(ctx) / 60_000)} min; no longer watched — ${whatToCheck(l)}`,
  }));
  return { state: { ...s, lost: s.lost.filter((l) => !gone.includes(l)), past: [...(s.past ?? []), ...gone] }, effects };
}

/** The watch ends once nothing may land any more, nothing of its own is out and no PAID read is undecided; else it goes on. */
function settleOrGo(s: S, ctx: FlowContext, ...effects: Effect[]): Step<S> {
  const e = expire(s, ctx);
  if (e.state.lost.length === 0 && e.state.phase === "watching" && e.state.pending === undefined && e.state.suspects === undefined) {
    return { state: { ...e.state, phase: "finished", outcome: "resolved", watchRef: undefined }, effects: [cancelTimer("poll"), cancelTimer("retry"), ...effects, ...e.effects] };
  }
  return { state: e.state, effects: [...effects, ...e.effects] };
}

/** A late payment of a lost send's flow: read (it stands), told once with the refund command. */
function paidLate(s: S, o: Extract<GlaseOutcome, { kind: "ok" }>, l: LostSend): { state: S; effects: Effect[] } {
  const ers = o.ersReference!;
  const off = s.lost.includes(l);
  const rest = s.lost.filter((x) => x !== l);
  const past = off ? [...(s.past ?? []), l] : s.past;
  if (s.paidSeen.includes(ers)) return { state: { ...s, lost: rest, past }, effects: [] };
  const paidMinor = o.paidMinor ?? l.amountMinor;
  const paid = amount(paidMinor);
  const message = `terminal ${s.terminalId} (point ${l.point}): a late invoice of flow ${l.origin} (${o.invoiceReference ?? "reference unknown"}, its sendInvoice of ${new Date(l.sentAt).toISOString()} was never answered) was paid after that flow ended (${ers}, ${paid} ${s.currency}); nothing was released for it — refund it: ctl refund ${ers} ${paid}`;
  // Its clientInvoiceId names the lost send: certain — the refund desk takes this payment as told (it has no receipt).
  const refundable = { ersReference: ers, amountMinor: paidMinor, currency: s.currency, point: l.point, origin: l.origin };
  return { state: { ...s, lost: rest, past, paidSeen: [...s.paidSeen, ers] }, effects: [{ type: "alarm", code: "paid-unclaimed", message, refundable }] };
}

/**
 * A PAID of a lost send's origin that may hold a payment of its own it never learnt (review 8 #1:
 * finished settled-manually without its ersReference, or its commit went out): the late invoice
 * and the sale share the clientInvoiceId, so this may be the delivered sale's own payment. Told
 * once, without `refundable` and without a refund command to type as printed: the technician
 * checks in Glase whether the sale has another payment. The lost send stays watched (if this is
 * the sale's own, the late invoice may still land).
 */
function paidMaybeOwn(s: S, o: Extract<GlaseOutcome, { kind: "ok" }>, l: LostSend): { state: S; effects: Effect[] } {
  const ers = o.ersReference!;
  if (s.paidSeen.includes(ers)) return { state: s, effects: [] };
  const paid = amount(o.paidMinor ?? l.amountMinor);
  const message = `terminal ${s.terminalId} (point ${l.point}): an invoice of flow ${l.origin} (${o.invoiceReference ?? "reference unknown"}) was read paid after that flow ended (${ers}, ${paid} ${s.currency}); that sale ended without knowing its own payment, so this may be it (the fuel was released) or a late invoice of its sendInvoice of ${new Date(l.sentAt).toISOString()} (never answered) — check flow ${l.origin}'s payments in Glase; refund ${ers} only if the sale has another payment: ctl refund ${ers} ${paid} --force --point ${l.point}`;
  return { state: { ...s, paidSeen: [...s.paidSeen, ers] }, effects: [{ type: "alarm", code: "paid-unclaimed", message }] };
}

/** The read just answered was sent after the last superseder's cancel and after the terminal last became idle. */
function readFresh(s: S, stale: boolean): boolean {
  const sentAt = s.lastReadAt ?? 0;
  return !stale && sentAt >= (s.closedAt ?? -1) && sentAt >= (s.idleSince ?? -1);
}

/** Every lost send the watch was handed: still on the record or already taken off. */
function known(s: S): readonly LostSend[] {
  return [...s.lost, ...(s.past ?? [])];
}

/**
 * A PAID without receipt.clientInvoiceId (0..1, §4.7) on the idle terminal while a lost send is
 * watched, whose ersReference is no flow's own payment on the terminal (those that ended before the
 * watch began, from the journal, and since): very likely a lost send's late invoice — the read
 * stopped its reversal (§6.3) and nothing was released. Told once with its ersReference, the origin
 * unconfirmed (a refund is never sent on a guess); if the terminal's earlier sales are not known,
 * it may be a released sale: told without the refund command. The lost send stays watched.
 */
function paidUnconfirmed(s: S, p: Suspect): { state: S; effects: Effect[] } {
  const all = known(s);
  // (A payment smaller than every lost send's amount is not one of theirs: a late invoice asks its sale's amount.)
  const small = p.paidMinor !== undefined && all.every((l) => p.paidMinor! < l.amountMinor);
  if (all.length === 0 || small || s.paidSeen.includes(p.ers) || all.some((l) => l.collected === p.ers) || (s.claimed ?? []).includes(p.ers)) return { state: s, effects: [] };
  const paid = p.paidMinor !== undefined ? amount(p.paidMinor) : "AMOUNT";
  const origins = [...new Set(all.map((l) => l.origin))].join(", ");
  const head = `terminal ${s.terminalId} (point ${all[0]!.point}): the terminal's current invoice (${p.invoiceReference ?? "reference unknown"}) was paid (${p.ers}, ${paid} ${s.currency}) while a sendInvoice of flow ${origins} was never answered; its receipt names no clientInvoiceId, so its origin is unconfirmed`;
  const unproven = [...new Set([...all.filter((l) => l.ownUnknown).map((l) => l.origin), ...(s.unproven ?? [])])];
  const message = unproven.length > 0
    ? `${head}, and sale(s) ${unproven.join(", ")} of this terminal ended without knowing their own payment — it may be one of theirs (released): look ${p.ers} up in Glase; refund it only if no sale released it`
    : s.claimsUnknown
    ? `${head}, and the terminal's sales before this watch began are not known to it — it may be a released sale: look ${p.ers} up (ctl flows --all, the journal's receipts) and in Glase; refund it only if no sale released it`
    : `${head} — no sale of this terminal in the journal claims it, so nothing was released for it; check it in Glase, then refund it: ctl refund ${p.ers} ${paid} --force --point ${all[0]!.point}`;
  return { state: { ...s, paidSeen: [...s.paidSeen, p.ers] }, effects: [{ type: "alarm", code: "paid-unclaimed", message }] };
}

/** The terminal is idle: each PAID without clientInvoiceId read while it was held is decided now (the flows that held it have told their own payments). */
function decideSuspects(s: S): { state: S; effects: Effect[] } {
  let state: S = { ...s, suspects: undefined };
  const effects: Effect[] = [];
  for (const p of s.suspects ?? []) {
    const u = paidUnconfirmed(state, p);
    state = u.state;
    effects.push(...u.effects);
  }
  return { state, effects };
}

function onRead(s: S, o: GlaseOutcome, ctx: FlowContext, stale: boolean): Step<S> {
  if (o.kind !== "ok") return settleOrGo(s, ctx);
  if (o.status === "PAID" && o.ersReference) {
    const ers = o.ersReference;
    if (s.paidSeen.includes(ers) || (s.claimed ?? []).includes(ers)) return settleOrGo(s, ctx);
    // Of any origin the watch was handed (its lost send still on the record or not), other than
    // the origin's own payment: a late invoice of it, paid — told whether the terminal is held or not.
    const l = o.clientInvoiceId === undefined ? undefined : known(s).find((x) => x.origin === o.clientInvoiceId && x.collected !== ers);
    if (l?.ownUnknown) {
      const t = paidMaybeOwn(s, o, l);
      return settleOrGo(t.state, ctx, ...t.effects);
    }
    if (l) {
      const t = paidLate(s, o, l);
      return settleOrGo(t.state, ctx, ...t.effects);
    }
    if (o.clientInvoiceId !== undefined) return settleOrGo(s, ctx); // another flow's: not ours to handle
    const p: Suspect = { ers, ...(o.paidMinor !== undefined ? { paidMinor: o.paidMinor } : {}), ...(o.invoiceReference !== undefined ? { invoiceReference: o.invoiceReference } : {}) };
    // A flow holds the terminal: this may be its own payment — decided when it has ended (its claim comes with the idle).
    if (s.busy) return settleOrGo((s.suspects ?? []).some((x) => x.ers === ers) ? s : { ...s, suspects: [...(s.suspects ?? []), p] }, ctx);
    const u = paidUnconfirmed(s, p);
    return settleOrGo(u.state, ctx, ...u.effects);
  }
  // A read sent before our last superseding invoice was cancelled may still show that one open; a
  // read sent before the terminal last became idle may show the ended flow's own invoice (an open
  // status carries no identity, §3.5; answers of parallel calls come in any order). Only a read
  // SENT after both can tell a late invoice of ours.
  const idle = !s.busy && readFresh(s, stale) && s.phase === "watching" && s.pending === undefined && ctx.now >= (s.nextSupersedeAt ?? 0);
  if (!isOpenStatus(o.status) || !idle || s.lost.length === 0) return settleOrGo(s, ctx);
  // Open, and no flow holds the terminal: a late invoice of ours — one of the lost sends landed (each
  // lands at most once; which one is not told, so the oldest is taken). It stays on the record until
  // the superseding send is answered with a reference (review 5 #1).
  return supersede({ ...s, landing: s.lost[0] }, ctx, Math.max(1, ...s.lost.map((l) => l.amountMinor)));
}

/** An invoice of the watch's own, in reservation mode, supersedes the open one (§6.4); it is cancelled next. */
function supersede(s: S, ctx: FlowContext, amountMinor: number): Step<S> {
  const total = money(s.currency, amountMinor);
  const invoice: Invoice = {
    paymentMode: "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT",
    acknowledgmentMode: "NO_ACKNOWLEDGMENT",
    issueDate: isoLocal(ctx.now),
    title: s.stationName,
    clientInvoiceId: s.flowId,
    invoiceRows: [{ itemDescription: "Cancelled - do not pay", itemQuantity: "1", itemTotalAmount: total }],
    totalAmount: total,
    cashierId: "late-invoice-watch",
    commitReservationTimeout: SUPERSEDER_RESERVATION_S,
  };
  return callGlase(s, { op: "sendInvoice", invoice }, { phase: "superseding", supersedes: s.supersedes + 1, supersededAt: ctx.now, supersedeMinor: amountMinor } as Partial<S>, true);
}

/** The lost send the superseded read was taken for, back on the watch: the late invoice may still be open. */
/**
 * The superseding send was not made: a flow held the terminal when it was to go out. The open
 * invoice may be that flow's own by now; the late one, if still open, is superseded by the flow's
 * send or found again once the terminal is idle — so the lost send is watched on.
 */
function onWithheld(s: S, ref: string, ctx: FlowContext): Step<S> {
  if (s.phase !== "superseding" || s.pending?.ref !== ref) return same(s);
  // (The landed lost send never left the record: review 5 #1.)
  return settleOrGo({ ...s, phase: "watching", pending: undefined, landing: undefined }, ctx);
}

function onSupersede(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  if (o.kind === "ok" && o.invoiceReference) {
    // Superseded (§6.4): the landed invoice is closed — its lost send is off the record (a PAID of it is still told, `past`).
    const l = s.landing;
    const off = l === undefined ? [] : s.lost.filter((x) => sameSend(x, l)).slice(0, 1);
    const lost = s.lost.filter((x) => !off.includes(x));
    return cancel({ ...s, lost, past: [...(s.past ?? []), ...off], landing: undefined, supersedeRef: o.invoiceReference, cancels: 0 }, ctx);
  }
  // Every other answer: the landed invoice may still be open and payable — its lost send stays on
  // the record and reads go on (a PAID of it is read within 20 s); it is superseded again, no
  // sooner than a backoff after this one (review 5 #1).
  const watching: S = { ...s, phase: "watching", landing: undefined, nextSupersedeAt: ctx.now + Math.max(ctx.settings.pollIntervalMs, backoffMs(s.supersedes, ctx)) };
  if (isAmbiguous(o) || o.kind === "ok") {
    // Our own superseding send may land later (lost answer), or it did and its reference is unknown
    // (ok without one): watched like any lost send — seen open, it is superseded in turn.
    const mine: LostSend = { origin: s.flowId, kind: "watch", point: s.lost[0]?.point ?? 0, amountMinor: s.supersedeMinor ?? 1, sentAt: s.supersededAt ?? ctx.now };
    return settleOrGo({ ...watching, lost: [...s.lost, mine].sort((a, b) => a.sentAt - b.sentAt), origins: s.origins.includes(s.flowId) ? s.origins : [...s.origins, s.flowId] }, ctx);
  }
  // Refused (definite, not processed; or never reached Glase): the late invoice is still open.
  return settleOrGo(watching, ctx);
}

/** The same lost send (records are rebuilt from the journal after a restart: not the same object). */
function sameSend(a: LostSend, b: LostSend): boolean {
  return a.origin === b.origin && a.kind === b.kind && a.sentAt === b.sentAt;
}

function cancel(s: S, ctx: FlowContext): Step<S> {
  void ctx;
  return callGlase(s, { op: "cancelInvoice", invoiceReference: s.supersedeRef! }, { phase: "canceling", cancels: s.cancels + 1 } as Partial<S>);
}

function onCancel(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  // Closed (or unknown: nothing to close). 50 cannot happen to a reservation invoice; read on if it does.
  if (o.kind === "ok" || (o.kind === "result" && (o.code === 95 || o.code === 54 || o.code === 50 || o.code === 55))) return settleOrGo({ ...s, phase: "watching", supersedeRef: undefined, closedAt: ctx.now }, ctx);
  // 51/48 (a customer confirming it right now), temporary, lost: cancel again (95 if it was applied).
  const effects: Effect[] = [timer("retry", backoffMs(s.cancels, ctx))];
  if (s.cancels >= CANCEL_ALARM_AFTER && !s.cancelAlarmed) {
    effects.push({ type: "alarm", code: "cancel-unconfirmed", message: `terminal ${s.terminalId}: the invoice ${s.supersedeRef} superseding a late invoice did not cancel after ${s.cancels} tries; trying on (it lapses by itself in ${SUPERSEDER_RESERVATION_S} s)` });
    return { state: { ...s, cancelAlarmed: true }, effects };
  }
  return { state: s, effects };
}

function onGlase(s: S, o: GlaseOutcome, ctx: FlowContext): Step<S> {
  switch (s.phase) {
    case "superseding":
      return onSupersede({ ...s, pending: undefined }, o, ctx);
    case "canceling":
      return onCancel({ ...s, pending: undefined }, o, ctx);
    case "watching":
    case "finished":
      return same(s);
    default:
      return assertNever(s.phase, "send-watch phase");
  }
}

/** Lost sends of another flow on the same terminal join the watch (one watch per terminal: no two supersede each other). */
function join(s: S, more: readonly LostSend[] | undefined): S {
  const fresh = (more ?? []).filter((l) => !s.origins.includes(l.origin));
  if (fresh.length === 0) return s;
  return { ...s, lost: [...s.lost, ...fresh].sort((a, b) => a.sentAt - b.sentAt), origins: [...new Set([...s.origins, ...fresh.map((l) => l.origin)])] };
}

export function transitionSendWatch(s: S, input: FlowInput, ctx: FlowContext): Step<S> {
  if (s.phase === "finished") return same(s);
  switch (input.type) {
    case "glase": {
      if (input.op === "getPaymentStatus" && input.ref === s.watchRef) return onRead({ ...s, watchRef: undefined, watchStale: undefined }, input.outcome, ctx, s.watchStale === true);
      const o = pendingOutcome(s, input);
      return o === undefined ? same(s) : onGlase(s, o, ctx);
    }
    case "timer":
      if (input.name === "retry" && s.phase === "canceling" && s.pending === undefined) return cancel(s, ctx);
      if (input.name === "poll") {
        const go = settleOrGo(s, ctx);
        if (go.state.phase === "finished") return go;
        const r = read(go.state, ctx);
        return { state: r.state, effects: [...r.effects, ...go.effects] };
      }
      return same(s);
    case "terminal": {
      // Became idle: the time is journaled (reads sent before it prove nothing); the read still out
      // went before this change, whatever the clock says (two events in one ms).
      const changed = input.busy !== s.busy;
      const idle = changed && !input.busy ? { idleSince: ctx.now } : {};
      const stale = changed && s.watchRef !== undefined ? { watchStale: true } : {};
      const more = input.claimed === undefined ? [] : typeof input.claimed === "string" ? [input.claimed] : input.claimed;
      const claimed = more.length > 0 ? { claimed: [...new Set([...(s.claimed ?? []), ...more])].slice(-CLAIMED_KEPT) } : {};
      // (A list is the terminal's recent sales from the journal: the watch knows them now.)
      const loaded = Array.isArray(input.claimed) ? { claimsUnknown: undefined } : {};
      const unproven = input.unproven?.length ? { unproven: [...new Set([...(s.unproven ?? []), ...input.unproven])].slice(-CLAIMED_KEPT) } : {};
      const next: S = { ...join(s, input.lostSends), busy: input.busy, ...idle, ...stale, ...claimed, ...loaded, ...unproven };
      // Idle: the flows that held the terminal have ended and told their own payments.
      return input.busy || next.suspects === undefined ? same(next) : decideSuspects(next);
    }
    case "withheld":
      return onWithheld(s, input.ref, ctx);
    case "recover": {
      // (A superseding send out at the restart: its landed lost send is still on the record.)
      const fresh: S = { ...s, pending: undefined, watchRef: undefined, watchStale: undefined, landing: undefined };
      switch (s.phase) {
        case "watching":
          return read(fresh, ctx);
        case "superseding": {
          // The superseding send's outcome is unknown: it may land — watched like any lost send.
          const mine: LostSend = { origin: s.flowId, kind: "watch", point: s.lost[0]?.point ?? 0, amountMinor: s.supersedeMinor ?? 1, sentAt: s.supersededAt ?? ctx.now };
          return read({ ...fresh, phase: "watching", landing: undefined, lost: [...s.lost, mine].sort((a, b) => a.sentAt - b.sentAt) }, ctx);
        }
        case "canceling": {
          const c = cancel(fresh, ctx);
          const r = read(c.state, ctx);
          return { state: r.state, effects: [...c.effects, ...r.effects] };
        }
        default:
          return assertNever(s.phase, "send-watch phase");
      }
    }
    case "technician":
    case "start":
    case "authorized":
    case "stopped":
    case "sale":
    case "nozzle":
    case "progress":
    case "end":
    case "fault":
    case "printed":
    case "released":
    case "link":
      return same(s);
    default:
      return assertNever(input, "input");
  }
}
