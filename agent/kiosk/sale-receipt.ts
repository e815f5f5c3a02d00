// The Glase receipt of a delivered kiosk sale (submitPaymentReceipt, §3.9/§6.9: "as soon as possible
// after PAID" — for a kiosk, once the product is out; a refunded sale gets none). Journaled in the
// sale's row BEFORE each send, its answer after it, so a restart:
//   - never loses it: `due` (journaled with the delivery) or `sending` is picked up and sent;
//   - never sends one that was answered again: `done`/`failed` are final.
// The one case that cannot be told apart — a crash after the send, before its answer was journaled
// — is re-sent under the SAME clientReference (a retry of that call, not a new one), which §3.9
// permits ("may be called several times for one payment"). A definite "not processed" answer
// (91/93/94, a transport failure before sending) is tried again under the next reference; both are
// spaced on a backoff capped at RECEIPT_RETRY_MAX_MS (a WAN outage of minutes or hours at an
// unattended site must not lose it) for RECEIPT_RETRY_HORIZON_MS from the first send. A definite
// refusal (23, credentials), or the horizon passed, ends it `failed`: logged and an alarm
// (receipt-not-submitted) — the row stays pending (unfinished) until then, across restarts.
import type { Scheduler } from "../../base/clock.ts";
import type { GlaseOutcome } from "../core/inputs.ts";
import type { Logger } from "../../base/log.ts";
import type { ReceiptContent } from "../../contracts/printer.ts";
import type { KioskPoint, KioskSale } from "../../contracts/kiosk.ts";

/** The longest pause between two sends (the backoff doubles from 2 s up to it). */
export const RECEIPT_RETRY_MAX_MS = 60 * 60_000;
/** How long after its first send a receipt is still tried. */
export const RECEIPT_RETRY_HORIZON_MS = 24 * 60 * 60_000;

export interface ReceiptSubmission {
  readonly state: "due" | "sending" | "done" | "failed";
  /** Numbers the clientReference; grows only after a definite "not processed". */
  readonly attempt: number;
  /** Sends of the current attempt (a re-send after an unknown outcome keeps its reference). */
  readonly sends: number;
  readonly content: ReceiptContent;
  readonly why?: string;
  /** When it was first sent (scheduler ms): the retry horizon counts from it. */
  readonly firstSentAt?: number;
}

/** ≤ 32 characters (§6.15), distinct from the POS flow's own `<saleId>-<n>` references. */
export function receiptReference(saleId: string, attempt: number): string {
  return `${saleId}-P${attempt}`.slice(-32);
}

export const receiptPending = (r: ReceiptSubmission | undefined): boolean => r !== undefined && (r.state === "due" || r.state === "sending");

/** What the answer means for the submission: its next journaled form, and the delay before the next send (if any). */
export function afterAnswer(r: ReceiptSubmission, o: GlaseOutcome, now: number): { readonly next: ReceiptSubmission; readonly retryMs?: number } {
  if (o.kind === "ok") return { next: { ...r, state: "done" } };
  const notProcessed = (o.kind === "result" && (o.code === 91 || o.code === 93 || o.code === 94)) || (o.kind === "transport" && !o.indefinite);
  const unknown = (o.kind === "result" && o.code === 90) || (o.kind === "transport" && o.indefinite);
  const tries = r.attempt + r.sends - 1;
  const why = o.kind === "result" ? `Glase answered ${o.code}` : o.kind === "transport" ? "no answer" : "unexpected answer";
  if (notProcessed || unknown) {
    const elapsed = now - (r.firstSentAt ?? now);
    if (elapsed >= RECEIPT_RETRY_HORIZON_MS) return { next: { ...r, state: "failed", why: `${why}; still not submitted ${Math.round(elapsed / 3_600_000)} h after the first try` } };
    const next: ReceiptSubmission = notProcessed ? { ...r, state: "due", attempt: r.attempt + 1, sends: 0 } : { ...r, state: "due" };
    return { next, retryMs: Math.min(RECEIPT_RETRY_MAX_MS, 2000 * 2 ** Math.min(30, Math.max(0, tries - 1))) };
  }
  return { next: { ...r, state: "failed", why } };
}

/** What goes to Glase: the POS flow's receipt as it was printed, or (its row gone) one made from the sale. */
export function receiptContent(s: KioskSale, printed: ReceiptContent | undefined, point: (KioskPoint & { readonly terminalId?: string }) | undefined, now: number): ReceiptContent {
  return (
    printed ?? {
      stationName: point?.name ?? `Kiosk ${s.point}`,
      terminalId: point?.terminalId ?? "",
      point: s.point,
      amountMinor: s.amountMinor,
      currency: s.currency,
      ersReference: s.ersReference ?? "",
      description: "Glase payment",
      timestamp: new Date(s.paidAt ?? now).toISOString(),
    }
  );
}

/** One sale's submission as the host keeps it: its journaled form, and how to journal the next one. */
export interface ReceiptOwner {
  readonly saleId: string;
  current(): ReceiptSubmission | undefined;
  sale(): KioskSale;
  /** Journals the submission's next form in the sale's row (in the sale's order of changes). */
  journal(next: ReceiptSubmission, input: unknown): Promise<void>;
}

export interface SaleReceiptsOptions {
  /** The engine's submitPaymentReceipt (throws when there is no engine now: nothing was sent). */
  readonly submit: (req: { readonly point: number; readonly ersReference: string; readonly receipt: ReceiptContent; readonly clientReference: string }) => Promise<GlaseOutcome>;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  /** A submission ended `failed` (journaled): the host raises its alarm. */
  readonly onGiveUp?: (saleId: string, why: string) => void;
}

/** Runs each pending submission (one loop per sale): journal `sending`, send, journal the answer. */
export class SaleReceipts {
  private closed = false;
  private readonly running = new Set<string>();
  private readonly timers = new Set<() => void>();

  constructor(private readonly o: SaleReceiptsOptions) {}

  close(): void {
    this.closed = true;
    for (const cancel of this.timers) cancel();
  }

  run(owner: ReceiptOwner): void {
    if (this.closed || this.running.has(owner.saleId)) return;
    this.running.add(owner.saleId);
    void this.loop(owner)
      .catch((err: unknown) => (this.closed ? this.o.logger.info("kiosk_receipt_left_to_next_start", { saleId: owner.saleId }) : this.o.logger.error("kiosk_receipt_failed", { saleId: owner.saleId, err })))
      .finally(() => this.running.delete(owner.saleId));
  }

  private async loop(owner: ReceiptOwner): Promise<void> {
    for (;;) {
      const r = owner.current();
      if (this.closed || !r || !receiptPending(r)) return;
      const sending: ReceiptSubmission = { ...r, state: "sending", sends: r.sends + 1, firstSentAt: r.firstSentAt ?? this.o.scheduler.now() };
      await owner.journal(sending, { type: "receipt", attempt: sending.attempt, send: sending.sends });
      if (this.closed) return;
      const s = owner.sale();
      const outcome: GlaseOutcome = await this.o
        .submit({ point: s.point, ersReference: s.ersReference!, receipt: r.content, clientReference: receiptReference(owner.saleId, sending.attempt) })
        .catch((): GlaseOutcome => ({ kind: "transport", indefinite: false }));
      // Journaled even when the host closed meanwhile (a restart): an answered send left "sending"
      // would be sent again by the next host — a second receipt document at Glase.
      const { next, retryMs } = afterAnswer(sending, outcome, this.o.scheduler.now());
      await owner.journal(next, { type: "receipt", outcome });
      if (this.closed) return;
      if (next.state === "failed") {
        this.o.logger.warn("kiosk_receipt_not_submitted", { saleId: owner.saleId, why: next.why });
        this.o.onGiveUp?.(owner.saleId, next.why ?? "refused");
      }
      if (retryMs !== undefined) {
        await new Promise<void>((resolve) => {
          const cancel = this.o.scheduler.setTimer(retryMs, () => (this.timers.delete(cancel), resolve()));
          this.timers.add(cancel);
        });
      }
    }
  }
}
