// The state of a terminal's lost-send watch (send-watch.ts: what it does with it) and the records a
// flow keeps of its lost sends, split from the machine as the preliminary flow's state is.
import type { FlowContext } from "./effects.ts";
import type { FlowBase } from "./flow.ts";

/** One sendInvoice whose answer never came, handed over by the flow that sent it. */
export interface LostSend {
  /** The flow that sent it: its clientInvoiceId. */
  readonly origin: string;
  readonly kind: "pos" | "preliminary" | "watch";
  readonly point: number;
  readonly amountMinor: number;
  /** When it was sent (absolute ms). */
  readonly sentAt: number;
  /** The origin's own payment: a PAID read of it is not the late invoice. */
  readonly collected?: string;
  /**
   * The origin may hold a payment of its own whose ersReference it never learnt (review 8 #1): it
   * finished settled-manually without one, or its commit went out. Its lost send shares its
   * clientInvoiceId, so a PAID of that id may be the origin's own (delivered) sale — never told as
   * "nothing was released", never `refundable`.
   */
  readonly ownUnknown?: true;
}

/** A flow's record of its lost sends (their send times, oldest first): one more. */
export function lostOne(list: readonly number[] | undefined, sentAt: number | undefined, ctx: FlowContext): number[] {
  return [...(list ?? []), sentAt ?? ctx.now];
}

/** The send-unresolved alarm's tail: sends never answered may still land (the terminal's lost-send watch reads them). */
export function unanswered(list: readonly number[] | undefined): string {
  const n = list?.length ?? 0;
  return n === 0 ? "" : `, but ${n} of them never answered may still land later: the terminal's lost-send watch reads it and tells any payment of it`;
}

/** An invoice of one of them was seen: the oldest is off the record (each lands at most once). */
export function landedOne(list: readonly number[] | undefined): readonly number[] | undefined {
  return list && list.length > 1 ? list.slice(1) : undefined;
}

export type SendWatchPhase = "watching" | "superseding" | "canceling" | "finished";

export interface SendWatchState extends FlowBase {
  readonly kind: "send-watch";
  readonly phase: SendWatchPhase;
  readonly terminalId: string;
  readonly currency: string;
  readonly stationName: string;
  /** Lost sends that may still land. */
  readonly lost: readonly LostSend[];
  /** Every origin handed to this watch (recovery does not hand one twice). */
  readonly origins: readonly string[];
  /** A flow holds the terminal: its open invoice is its own (the engine says, input `terminal`). */
  readonly busy: boolean;
  /**
   * When the terminal last became idle (a flow holding it ended; journaled): an open read SENT
   * before it may show that flow's own invoice, answered late (review 4 M) — no landing.
   */
  readonly idleSince?: number;
  /** The read still out was sent before the terminal's last busy/idle change (same-ms order; volatile). */
  readonly watchStale?: boolean;
  /** The current-invoice read still out (volatile: the runner does not journal it). */
  readonly watchRef?: string;
  /** The superseding invoice being cancelled. */
  readonly supersedeRef?: string;
  /** When the last superseding send went out, and its amount (it may land late itself). */
  readonly supersededAt?: number;
  readonly supersedeMinor?: number;
  /** When the last superseding invoice was cancelled: an open read sent before it may be that one. */
  readonly closedAt?: number;
  /** A refused superseding send is tried again no earlier than this (reads go on meanwhile). */
  readonly nextSupersedeAt?: number;
  readonly supersedes: number;
  readonly cancels: number;
  readonly cancelAlarmed?: boolean;
  /** ersReferences of late payments already told to a technician (each once). */
  readonly paidSeen: readonly string[];
  /** Own payments of flows that ended on the terminal: before the watch began (the engine reads them from the journal) and while it ran (newest last, bounded). */
  readonly claimed?: readonly string[];
  /** The terminal's sales before the watch began were not known (journal unread): a PAID without clientInvoiceId may be a released one — told without a refund command. */
  readonly claimsUnknown?: boolean;
  /** Sales of the terminal that ended without knowing their own payment (review 8 #1): a PAID nobody claims may be one of theirs — told without a refund command. */
  readonly unproven?: readonly string[];
  /**
   * The lost send whose late invoice the superseding send out closes (review 5 #1): it stays in
   * `lost` until that send is answered ok with a reference — refused, lost or answered without one,
   * the late invoice may still be open and payable.
   */
  readonly landing?: LostSend;
  /** Lost sends taken off the record (superseded, paid, past the horizon): a later PAID of their origin is still a late one (model violation 2026-12-02). */
  readonly past?: readonly LostSend[];
  /** PAIDs without clientInvoiceId read while a flow held the terminal: decided once it is idle, against that flow's own payment (review 5 #3). */
  readonly suspects?: readonly Suspect[];
}

/** A PAID without receipt.clientInvoiceId that may be a late invoice of a lost send. */
export interface Suspect {
  readonly ers: string;
  readonly paidMinor?: number;
  readonly invoiceReference?: string;
}

export interface SendWatchStart {
  readonly flowId: string;
  readonly terminalId: string;
  readonly currency: string;
  readonly stationName: string;
  readonly lost: readonly LostSend[];
  readonly busy: boolean;
  /** Own payments (ersReferences) of the terminal's recent sales, from the journal (oldest first); absent: not known. */
  readonly claimed?: readonly string[];
  /** Recent sales of the terminal that ended without knowing their own payment (flow ids). */
  readonly unproven?: readonly string[];
}

