// A kiosk sale as the journal keeps it: one row per change, written BEFORE its effect (the POS
// flow's start, the release request to the controller, the refund flow's start). The row's flow id
// is derived from the sale id (= the POS flow's id), so the sale and its POS flow sit side by side,
// and the refund flow's id is fixed by the sale too: after a crash, "is there a refund flow with
// that id in the journal" answers "was the refund started" — which makes it exactly once.
import type { KioskPoint, KioskSale } from "../../contracts/kiosk.ts";
import { kioskDisplay } from "../../drivers/kiosk/sale-rules.ts";
import { FINAL_SALE_STATES } from "../../contracts/kiosk.ts";
import type { Journal, TransitionRecord } from "../journal/types.ts";
import type { ReceiptContent } from "../../contracts/printer.ts";
import { type ReceiptSubmission, receiptPending } from "./sale-receipt.ts";

export const KIOSK_SALE_KIND = "kiosk-sale";

export interface SaleRecord {
  readonly sale: KioskSale;
  /** saleFingerprint of the request: what the idempotency key is bound to. */
  readonly fingerprint: string;
  /** The engine refused to start the payment: no invoice, and the key is free again. */
  readonly refused?: boolean;
  /** The Glase receipt of a delivered sale (sale-receipt.ts), when the station submits receipts. */
  readonly receipt?: ReceiptSubmission;
  /** A technician settled the sale (ctl kiosk-resolve): a result the controller reports later is refused. */
  readonly technician?: { readonly by: string; readonly at: number; readonly outcome: "delivered" | "failed"; readonly deliveredMinor?: number };
}

export const saleRowId = (saleId: string): string => `S-${saleId}`;
/** The one refund flow a sale can ever start. */
export const refundFlowId = (saleId: string): string => `R-${saleId}`;

export function saleTransition(rec: SaleRecord, input: unknown, terminalId: string | undefined): TransitionRecord {
  const s = rec.sale;
  return {
    flowId: saleRowId(s.saleId),
    kind: KIOSK_SALE_KIND,
    point: s.point,
    ...(terminalId !== undefined ? { terminalId } : {}),
    at: s.updatedAt,
    input,
    state: rec,
    stateName: s.state,
    finished: FINAL_SALE_STATES.has(s.state) && !receiptPending(rec.receipt),
    parked: s.state === "attention",
    effects: [],
  };
}

/** Every kiosk sale the journal still keeps (its retention), oldest first. */
export async function loadSaleRecords(journal: Journal): Promise<SaleRecord[]> {
  const rows = await journal.flows({ kind: KIOSK_SALE_KIND, limit: 1_000_000 });
  return rows.map((r) => r.state as SaleRecord).sort((a, b) => a.sale.createdAt - b.sale.createdAt);
}

/** What a POS flow row tells the host (the journal's snapshot of agent/core/pos.ts PosState). */
export interface PosRow {
  readonly phase?: string;
  readonly outcome?: string;
  readonly invoiceRef?: string;
  readonly ersReference?: string;
  readonly cancelWanted?: string;
  readonly receipt?: ReceiptContent;
}

export async function posRow(journal: Journal, saleId: string): Promise<{ readonly finished: boolean; readonly state: PosRow } | undefined> {
  const r = await journal.flow(saleId);
  return r ? { finished: r.finished, state: r.state as PosRow } : undefined;
}

/** The sale's next version: the patch applied (undefined removes a field), the display for its state. */
export function nextSale(sale: KioskSale, patch: Partial<KioskSale>, now: number, point: Pick<KioskPoint, "glaseId">): KioskSale {
  const merged = { ...sale, ...patch, version: sale.version + 1, updatedAt: now } as Record<string, unknown>;
  for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
  const next = merged as unknown as KioskSale;
  return { ...next, display: kioskDisplay(next, point) };
}

/** Sale ids are POS flow ids: K<point>-<time><seq><random>, unique per station. */
export function newSaleId(point: number, now: number, seq: number, random: number): string {
  const rand = Math.floor(random * 1296 * 1296).toString(36).padStart(4, "0");
  return `K${point}-${now.toString(36)}${seq.toString(36).padStart(2, "0")}${rand}`;
}
