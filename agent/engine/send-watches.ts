// The terminals' lost-send watches (agent/core/send-watch.ts), on the engine's side: a flow that
// ends while a sendInvoice of its was never answered nor seen land hands it to its terminal's
// watch — a new one, or the one already running there (one per terminal, so no two watches
// supersede each other's invoices) — and every watch is told whether a flow holds its terminal
// (then an open invoice there is that flow's own, not a late one to close).
//
// The lost send is journaled with the flow's finished state (lostSends), before the watch starts:
// a restart between the two finds it in the journal and starts the watch then (recoverHandOvers).
//
// A watch also knows the own payments (ersReferences) of the terminal's recent sales — those that
// ended before it began too, read from the journal at start (review 5 #2): the terminal's current
// invoice is often the last released sale, and a PAID of it without receipt.clientInvoiceId must
// not be alarmed as an unclaimed payment to refund.
import type { FlowContext } from "../core/effects.ts";
import type { Effect } from "../core/effects.ts";
import { DEFAULT_LOST_SEND_WATCH_MS, type LostSend, type SendWatchState } from "../core/send-watch.ts";
import type { FlowState } from "../core/transition.ts";
import type { Journal } from "../journal/types.ts";
import type { Logger } from "../../base/log.ts";
import { flowKind } from "../flows/kinds/registry.ts";
import { sendWatchFlow } from "../flows/kinds/send-watch.ts";
import type { FlowRunner } from "../flows/runner.ts";
import type { FlowRegistry } from "./flow-registry.ts";

/** Finished sales read after a restart for the terminals' recent sales (claims; a terminal outside them is not "known"). */
const RECOVERY_WINDOW = 200;

/** Own payments of recent sales kept per terminal (the current invoice is one of the last). */
const CLAIMS_KEPT = 20;

export interface SendWatchHost {
  readonly flows: FlowRegistry;
  readonly journal: Journal;
  readonly logger: Logger;
  ctx(): FlowContext;
  launch(state: FlowState, effects: readonly Effect[]): Promise<FlowRunner>;
  alarm(a: { readonly code: string; readonly message: string }): void;
}

function terminalOf(s: FlowState): string | undefined {
  return "terminalId" in s ? s.terminalId : undefined;
}

/** A flow's own payment on its terminal (a sale paid; for a refund, the sale it is of — not a claim). */
function claimOf(s: FlowState): string | undefined {
  return "ersReference" in s && typeof s.ersReference === "string" ? s.ersReference : undefined;
}

/** A finished sale that may hold a payment it never learnt the ersReference of (review 8 #1). */
function unprovenOf(s: FlowState): boolean {
  return flowKind(s).ownPaymentUnknown?.(s as never) === true;
}

export class SendWatches {
  /** Own payments of the flows that ended on each terminal, oldest first (bounded). */
  private readonly claims = new Map<string, string[]>();
  /** Sales that ended on each terminal without knowing their own payment (flow ids, bounded): claims without an ersReference. */
  private readonly unproven = new Map<string, string[]>();
  /** The journal's recent sales were read (at start): until then a new watch does not know them. */
  /**
   * Terminals whose recent sales are known (review 6 #1): the journal's window of finished sales is
   * station-wide, so a quiet terminal whose last sale is older than it is NOT known — its watch tells
   * a PAID without clientInvoiceId without a refund command.
   * Undefined until the journal was read.
   */
  private known: Set<string> | undefined;
  /** Terminals where a sale ended in this run before the journal was read. */
  private readonly saleEnded = new Set<string>();

  constructor(private readonly host: SendWatchHost) {}

  private knows(terminalId: string): boolean {
    return this.known?.has(terminalId) === true;
  }

  private remember(terminalId: string, ers: readonly string[], ended = false): void {
    if (ended) (this.known ?? this.saleEnded).add(terminalId); // a sale ended here since: its payment is the current one
    const kept = this.claims.get(terminalId) ?? [];
    this.claims.set(terminalId, [...new Set([...kept.filter((x) => !ers.includes(x)), ...ers])].slice(-CLAIMS_KEPT));
  }

  private unprovenSale(terminalId: string, flowIds: readonly string[]): void {
    if (flowIds.length === 0) return;
    this.unproven.set(terminalId, [...new Set([...(this.unproven.get(terminalId) ?? []), ...flowIds])].slice(-CLAIMS_KEPT));
  }

  private unprovenOn(terminalId: string): { unproven?: readonly string[] } {
    const u = this.unproven.get(terminalId);
    return u && u.length > 0 ? { unproven: u } : {};
  }

  /** The running watch of a terminal. */
  private watchOf(terminalId: string): FlowRunner | undefined {
    for (const r of this.host.flows.running()) if (r.state.kind === "send-watch" && r.state.terminalId === terminalId && r.state.phase !== "finished") return r;
    return undefined;
  }

  /**
   * Whether a flow that holds its point runs on the terminal (its open invoice is its own). True
   * from the flow's attach — before any of its effects runs — to its finish.
   */
  held(terminalId: string): boolean {
    for (const r of this.host.flows.running()) {
      const s = r.state;
      if (s.phase !== "finished" && flowKind(s).holdsPoint && terminalOf(s) === terminalId) return true;
    }
    return false;
  }

  /** A flow began on a terminal (started or recovered): its watch knows the terminal is held. */
  started(s: FlowState): void {
    const t = terminalOf(s);
    if (t === undefined || !flowKind(s).holdsPoint) return;
    void this.watchOf(t)?.feed({ type: "terminal", busy: true });
  }

  /** A flow finished (already out of the running set): its lost send, if any, goes to its terminal's watch. */
  ended(s: FlowState): void {
    const t = terminalOf(s);
    if (t === undefined) return;
    const lost = flowKind(s).lostSendsOf?.(s) ?? [];
    // Only a sale (a kind that sends invoices on the terminal) claims a payment as released and makes
    // it the terminal's current invoice: a refund names a sale's payment but sends none (final review
    // FINAL-1), and its reference must not take a sale's place in the bounded claims (review 7 #2).
    const ers = flowKind(s).lostSendsOf !== undefined ? claimOf(s) : undefined;
    if (ers !== undefined) this.remember(t, [ers], true);
    if (ers === undefined && unprovenOf(s)) this.unprovenSale(t, [s.flowId]);
    const watch = this.watchOf(t);
    if (watch) {
      const claimed = ers !== undefined ? { claimed: ers } : {};
      void watch.feed({ type: "terminal", busy: this.held(t), ...(lost.length > 0 ? { lostSends: lost } : {}), ...claimed, ...this.unprovenOn(t) });
      return;
    }
    if (lost.length > 0) this.launch(s, t, lost);
  }

  /** After recovery: every watch is told whether its terminal is held now. */
  refresh(): void {
    for (const r of [...this.host.flows.running()]) if (r.state.kind === "send-watch") void r.feed({ type: "terminal", busy: this.held(r.state.terminalId) });
  }

  /** A restart between a flow's finish and its watch's start: the journal still says what to watch. */
  async recoverHandOvers(now: number): Promise<void> {
    const horizon = this.host.ctx().settings.lostSendWatchMs ?? DEFAULT_LOST_SEND_WATCH_MS;
    try {
      // The hand-overs are read by time, not by count (review 6 #4): a lost send is watched for the
      // horizon after it was sent, and its flow finished (and any watch of it started) after that,
      // so every flow that can still hand one over was last updated within the horizon — all of
      // them, however busy the station was (a count of 200 dropped the older ones silently). The
      // cost is bounded by the sales of one horizon (15 min).
      const since = now - horizon;
      const watched = new Set<string>();
      for (const w of await this.host.journal.flows({ kind: "send-watch", updatedSince: since })) for (const o of (w.state as SendWatchState).origins ?? []) watched.add(o);
      for (const r of this.host.flows.running()) if (r.state.kind === "send-watch") for (const o of r.state.origins ?? []) watched.add(o);
      const handOvers = await this.host.journal.flows({ kinds: ["pos", "preliminary"], finished: true, updatedSince: since });
      const finished = await this.host.journal.flows({ kinds: ["pos", "preliminary"], finished: true, limit: RECOVERY_WINDOW });
      // The terminals' recent sales first (newest first in the journal; remembered oldest first), so
      // every watch — running, recovered, or started below or later — knows them.
      const seen = new Map<string, string[]>();
      for (const r of [...finished].reverse()) {
        const s = r.state as FlowState;
        const t = terminalOf(s);
        const ers = claimOf(s);
        if (t !== undefined && ers !== undefined) seen.set(t, [...(seen.get(t) ?? []), ers]);
        if (t !== undefined && ers === undefined && unprovenOf(s)) this.unprovenSale(t, [s.flowId]);
      }
      for (const [t, ers] of seen) this.remember(t, [...ers, ...(this.claims.get(t) ?? [])]);
      // Only terminals whose sales the window held: a short window is no proof of "every sale" —
      // compaction deletes old ones (final review FINAL-2). Plus those with a sale ended in this run.
      const known = new Set([...seen.keys(), ...this.saleEnded]);
      this.known = known;
      for (const r of [...this.host.flows.running()]) {
        if (r.state.kind === "send-watch" && this.knows(r.state.terminalId)) void r.feed({ type: "terminal", busy: this.held(r.state.terminalId), claimed: this.claims.get(r.state.terminalId) ?? [], ...this.unprovenOn(r.state.terminalId) });
      }
      for (const r of handOvers) {
        const s = r.state as FlowState;
        const lost = flowKind(s).lostSendsOf?.(s) ?? [];
        if (lost.length === 0 || watched.has(s.flowId) || lost.every((l) => now >= l.sentAt + horizon)) continue;
        watched.add(s.flowId);
        this.ended(s);
      }
    } catch (err) {
      this.host.logger.warn("send_watch_recovery_failed", { err });
    }
  }

  private launch(s: FlowState, terminalId: string, lost: readonly LostSend[]): void {
    const currency = "currency" in s ? s.currency : "";
    const stationName = "stationName" in s ? s.stationName : "";
    const claimed = this.knows(terminalId) ? { claimed: this.claims.get(terminalId) ?? [] } : {};
    const step = sendWatchFlow.start({ flowId: `W${s.flowId}`, terminalId, currency, stationName, lost, busy: this.held(terminalId), ...claimed, ...this.unprovenOn(terminalId) }, this.host.ctx());
    this.host.launch(step.state, step.effects).catch((err: unknown) => {
      this.host.logger.error("send_watch_start_failed", { flowId: step.state.flowId, err });
      this.host.alarm({ code: "lost-send-unwatched", message: `terminal ${terminalId} (point ${lost[0]!.point}): ${lost.length} sendInvoice(s) of flow ${s.flowId} never answered and its watch could not start; an invoice of it may open on the terminal unwatched` });
    });
  }
}
