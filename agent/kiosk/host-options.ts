// What the engine-backed kiosk host (engine-host.ts) is given: the payment engine it runs sales
// on, the points, the journal, time. Its own file because the host's parts (sale-book.ts,
// sale-settlement.ts, kiosk-points.ts) are given the same options.
import type { Observable } from "rxjs";
import type { Scheduler } from "../../base/clock.ts";
import type { Logger } from "../../base/log.ts";
import type { InvoiceRow } from "../../contracts/glase/types.ts";
import type { KioskPoint } from "../../contracts/kiosk.ts";
import type { ReceiptContent } from "../../contracts/printer.ts";
import type { GlaseOutcome } from "../core/inputs.ts";
import type { RefundGuard } from "../daemon/refund-guard.ts";
import type { EngineEvent, EngineSnapshot, PosPaymentOptions, RefundResult } from "../engine-api.ts";
import type { Journal } from "../journal/types.ts";

/** What the host needs of the payment engine (the station may swap engines: asked each time). */
export interface KioskEngine {
  startPosPayment(point: number, amountMinor: number, rows?: readonly InvoiceRow[], opts?: PosPaymentOptions): Promise<string>;
  cancelPosPayment(flowId: string): Promise<void>;
  startRefund(req: { readonly point: number; readonly ersReference: string; readonly amountMinor: number; readonly flowId: string }): Promise<RefundResult>;
  alarm(a: { readonly code: string; readonly message: string; readonly point?: number; readonly flowId?: string }): void;
  snapshot(): EngineSnapshot;
  submitPaymentReceipt(req: { readonly point: number; readonly ersReference: string; readonly receipt: ReceiptContent; readonly clientReference: string }): Promise<GlaseOutcome>;
}

export interface EngineKioskHostOptions {
  readonly points: readonly (KioskPoint & { readonly terminalId?: string })[];
  readonly engine: () => KioskEngine;
  /** The engine's events (the station's stream when engines are swapped). */
  readonly events$: Observable<EngineEvent>;
  readonly journal: Journal;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  /** From PAID: the release result must come within this (then: attention + alarm). Default 120 000. */
  readonly releaseTimeoutMs?: number;
  /** Shared with the technician's refunds (one at a time per payment, never more than was paid). */
  readonly refundGuard?: RefundGuard;
  /** submitPaymentReceipt once a sale was delivered (flows.submitReceipts). */
  readonly submitReceipts?: boolean;
  readonly random?: () => number;
  /** Finished sales stay in memory (key replays, reference lookups) this long. Default 24 h (sale-index.ts). */
  readonly keepFinalMs?: number;
}
