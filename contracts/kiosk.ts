// The kiosk contract: how a kiosk-side controller (a kiosk's touchscreen app through the Kiosk
// API, a vending machine over MDB cashless, a car-wash controller) sells through the POS flow
// (glase-api.md §6.14 B). It is bidirectional and small:
//
//   controller → shell (KioskHost):  requestSale, cancelSale, reportRelease, getSale, findSale
//   shell → controller (subscribe):  the sale's state and what to display; state `paid` IS the
//                                     release request ("hand out the product now, then report")
//
// The release request is level-triggered on purpose: a controller that was disconnected or
// restarted when the payment arrived reads `paid` with getSale/findSale and releases then, instead
// of depending on an event it may have missed. A controller must release AT MOST ONCE per saleId
// (it persists that it released before handing out), and the shell accepts ONE release result per
// sale (the first; a repeat of the same result is a no-op, a different one is refused).
//
//   starting ─▶ waiting ─▶ paid ─▶ delivered                                (receipt)
//      │           │         ├──▶ refunding ─▶ refunded  (failed: refund of what was not delivered, once)
//      │           │         └──▶ attention              (no result within releaseTimeoutMs, or
//      │           │                                      "unknown": alarm, never an automatic refund)
//      └───────────┴─▶ cancelled                          (no money moved)
//
// Implementations: the engine-backed host (the POS flow + journal; at integration) and
// drivers/kiosk/in-memory-host.ts (the reference twin: tests, simulations). Users of the host:
// drivers/kiosk-api/ (HTTP for kiosk apps) and drivers/mdb/ (MDB cashless vending machines).
//
// Units: money in integer minor units of `currency` (ISO 4217); times in ms since the epoch.
import type { InvoiceRow } from "./glase/types.ts";

/** A kiosk point = one Glase cash-register terminal (one open invoice at a time, §6.4). */
export type KioskPointId = number;

export interface KioskPoint {
  readonly id: KioskPointId;
  readonly currency: string;
  /** Shown to the customer: "scan the Glase ID sticker <glaseId> on this machine". */
  readonly glaseId?: string;
  readonly name?: string;
  /** Largest sale the host accepts on this point (minor units); undefined: no limit of its own. */
  readonly maxAmountMinor?: number;
  /** VAT rate (percent) of a row that carries none (points[].vatRatePercent). */
  readonly vatRatePercent?: number;
}

export interface SaleRequest {
  readonly point: KioskPointId;
  /** > 0, integer minor units. The invoice total; rows (if any) must add up to it (§6.5). */
  readonly amountMinor: number;
  /** Must be the point's currency. */
  readonly currency: string;
  /** Invoice rows; none: the host writes one generic row for the whole amount. */
  readonly rows?: readonly InvoiceRow[];
  /** The controller's own reference (order number, vend id): for findSale and the journal; 1–64 chars. */
  readonly reference: string;
  /**
   * Replay key (1–320 printable ASCII). The same key with the same request returns the same sale,
   * also after an agent restart, while the host keeps the sale in memory (unfinished, or finished
   * within the last 24 h: the engine host's keepFinalMs; getSale reads older ones from the journal);
   * the same key with a different request is refused (conflict "idempotency-mismatch"). Keys are
   * unique per host (station), so a controller prefixes its own (e.g. "mdb-1:<epoch>:vend-17",
   * "kiosk-api:<id>:<the app's 1–255 character key>").
   */
  readonly idempotencyKey?: string;
}

export type SaleState =
  /** Accepted and journaled; the invoice is being sent. */
  | "starting"
  /** Invoice open: the customer pays with the Glase app (scans the point's sticker). */
  | "waiting"
  /** PAID and read: release now, then reportRelease. Also the state after a cancel the customer's payment beat (§3.7 code 50). */
  | "paid"
  /** Released; receipt written (and submitted when configured). Final. */
  | "delivered"
  /** Ended without payment (see cancelReason). Final. */
  | "cancelled"
  /** Release failed: the refund of what was not delivered is journaled and under way. */
  | "refunding"
  /** Refund accepted by Glase (refund.ersReference). Final. */
  | "refunded"
  /** A technician must decide (see attention): no automatic refund from here. */
  | "attention";

export const FINAL_SALE_STATES: ReadonlySet<SaleState> = new Set(["delivered", "cancelled", "refunded"]);

export type CancelReason =
  /** The customer pressed cancel (on the kiosk, the vending machine's coin-return). */
  | "customer"
  /** The controller gave up (its own timeout, the machine reset, session ended). */
  | "controller"
  /** The unattended policy's windows ran out (cancelInvoice). */
  | "timeout"
  /** Glase refused or is unreachable, or the invoice was cancelled/failed/expired there. */
  | "glase"
  | "technician";

export type DisplayCode =
  | "wait" // starting: "One moment…"
  | "pay" // waiting: "Pay with Glase: scan the sticker <glaseId>"
  | "release" // paid: "Paid — take your product"
  | "thanks" // delivered
  | "cancelled"
  | "refunded" // refunding / refunded: "Not delivered — your payment is returned"
  | "unavailable" // cancelled because Glase could not be reached
  | "attention"; // "Please contact staff"

/** What the controller shows. `code` is for apps that localise; `text` is a ready English line. */
export interface KioskDisplay {
  readonly code: DisplayCode;
  readonly text: string;
  readonly glaseId?: string;
}

export type ReleaseResult =
  /** Everything was handed out. */
  | { readonly outcome: "delivered" }
  /**
   * Nothing (or only part) was handed out: the host refunds amountMinor − deliveredMinor, exactly
   * once. deliveredMinor: 0 ≤ d < amountMinor, default 0.
   */
  | { readonly outcome: "failed"; readonly reason: string; readonly deliveredMinor?: number }
  /** The controller cannot tell (the machine reset mid-vend): alarm at once, never a refund by itself. */
  | { readonly outcome: "unknown"; readonly reason: string };

export interface ReleaseReport {
  readonly result: ReleaseResult;
  readonly at: number;
  /** Came after releaseDeadline (the sale had gone to `attention`). */
  readonly late: boolean;
}

export interface RefundInfo {
  readonly amountMinor: number;
  readonly state: "pending" | "done" | "failed";
  /** The refund's own ersReference (§3.10) once Glase accepted it. */
  readonly ersReference?: string;
}

export type AttentionCause =
  | "release-result-missing" // no result within releaseTimeoutMs after PAID
  | "release-unknown" // the controller reported "unknown", or the agent restarted mid-release
  | "refund-failed" // Glase refused the refund (e.g. 97/98/99): money must be returned by hand
  | "cancel-unconfirmed"; // the invoice's cancel was never confirmed

export interface KioskSale {
  /** The POS flow's id; stable for the life of the sale. */
  readonly saleId: string;
  /** Grows by one with every change: order events, ignore stale ones. */
  readonly version: number;
  readonly point: KioskPointId;
  readonly amountMinor: number;
  readonly currency: string;
  readonly rows: readonly InvoiceRow[];
  readonly reference: string;
  readonly idempotencyKey?: string;
  readonly state: SaleState;
  readonly display: KioskDisplay;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly invoiceReference?: string;
  /** The payment's ersReference (set from `paid` on). */
  readonly ersReference?: string;
  readonly paidAt?: number;
  /** From `paid`: a result reported after this raises the alarm first (state `attention`). */
  readonly releaseDeadline?: number;
  /** A cancel was asked and is being carried out; the sale may still end `paid` (code 50). */
  readonly cancelRequested?: CancelReason;
  readonly cancelReason?: CancelReason;
  readonly release?: ReleaseReport;
  readonly refund?: RefundInfo;
  readonly attention?: AttentionCause;
}

export type SaleQuery =
  /** The newest sale with this reference (on that point, and among those points, if given). */
  | { readonly reference: string; readonly point?: KioskPointId; readonly points?: readonly KioskPointId[] }
  | { readonly idempotencyKey: string };

/**
 * Why the host refused a call, carried as AgentError("CONFLICT", …, { conflict, state? }).
 * Other refusals: AgentError("INPUT_INVALID", …, { field }) for a bad request (unknown point,
 * wrong currency, rows not adding up, amount ≤ 0 or above the point's maximum, bad deliveredMinor),
 * AgentError("NOT_FOUND") for an unknown saleId.
 */
export type KioskConflict =
  /** Same idempotency key, different request. */
  | "idempotency-mismatch"
  /** The point has a sale that is not released or ended yet (one open invoice per terminal, §6.4). */
  | "point-busy"
  /** The point takes no new sale now (agent draining, point stopped by a technician, Glase offline). */
  | "point-unavailable"
  /** cancelSale after PAID: too late, release and report instead. */
  | "not-cancellable"
  /** reportRelease before PAID, or after a technician settled the sale. */
  | "not-releasable"
  /** reportRelease with a result different from the one already recorded. */
  | "release-already-reported";

export type KioskHostEvent = { readonly type: "sale"; readonly sale: KioskSale };

export interface KioskEventFilter {
  readonly points?: readonly KioskPointId[];
}

export type Unsubscribe = () => void;

/**
 * The shell side (implemented by the engine at integration). Every mutating call resolves only
 * once its effect is durable in the journal, so whatever happens after the promise resolves (a
 * crash, a power cut) the call need not be repeated — and repeating it is always safe.
 */
export interface KioskHost {
  /** The points this host sells on (the controller's own point must be among them). */
  points(): readonly KioskPoint[];

  /**
   * Starts a POS sale. Resolves with the sale once the flow's start is journaled (state
   * `starting`, or later). Idempotent with an idempotencyKey (see SaleRequest); without one,
   * each call is a new sale. Rejects: INPUT_INVALID { field }, CONFLICT { conflict:
   * "idempotency-mismatch" | "point-busy" | "point-unavailable" }.
   */
  requestSale(request: SaleRequest): Promise<KioskSale>;

  /**
   * Asks to cancel an unpaid sale. Resolves once the cancel intent is journaled; the sale then
   * carries cancelRequested and ends `cancelled` — or `paid` when the customer's payment beat the
   * cancel, which the controller must then release or report as failed. Idempotent: a cancelled
   * (or already cancelling) sale is returned as it is. Rejects: NOT_FOUND; CONFLICT
   * { conflict: "not-cancellable" } from `paid` on.
   */
  cancelSale(saleId: string, reason: CancelReason): Promise<KioskSale>;

  /**
   * Records the release result; resolves once it is journaled, before the receipt or the refund
   * is carried out, so a crash after the resolve still refunds exactly once. Accepted in `paid`,
   * and late in `attention` (release-result-missing). A repeat of the recorded result resolves
   * with the sale; a different one rejects CONFLICT { conflict: "release-already-reported" }.
   * Rejects: NOT_FOUND; INPUT_INVALID { field: "deliveredMinor" }; CONFLICT { conflict:
   * "not-releasable" } before `paid` or after a technician settled it.
   */
  reportRelease(saleId: string, result: ReleaseResult): Promise<KioskSale>;

  /** undefined: unknown id (or older than the journal's retention). Reads only. */
  getSale(saleId: string): Promise<KioskSale | undefined>;

  /** The controller that restarted finds its sale. Reads only. */
  findSale(query: SaleQuery): Promise<KioskSale | undefined>;

  /**
   * Every change of a sale (state, display, cancelRequested, release, refund), in version order
   * per sale, after it is journaled. Listeners must not throw (errors are caught and logged) and
   * must not block: the host does not wait for them.
   */
  subscribe(listener: (event: KioskHostEvent) => void, filter?: KioskEventFilter): Unsubscribe;
}
