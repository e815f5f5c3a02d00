// What `glase-agent ctl invoices` shows: issued invoices with their payment and release state,
// plus notifications that raised an alarm. JSON-safe rows for the control socket, and a text
// table for the terminal.
import { formatMinor } from "../../base/money.ts";
import type { InvoiceRecord, NotificationCounts, NotificationRecord } from "./store.ts";

/** Open notifications listed one by one; the rest are only counted. */
export const LISTED_NOTIFICATIONS = 20;

export interface InvoiceRow {
  /** The cursor of the next page (`ctl invoices --cursor ID`). */
  readonly id: number;
  readonly reference: string;
  readonly amount: string;
  readonly currency: string;
  readonly description: string;
  readonly payOnce: boolean;
  readonly state: InvoiceRecord["state"];
  readonly issuedAt: string;
  readonly glaseInvoiceId: number | null;
  readonly ersReference: string | null;
  readonly purchaseTime: string | null;
  readonly qrPrint: InvoiceRecord["qrPrint"];
  readonly receiptPrint: InvoiceRecord["receiptPrint"];
}

export interface InvoiceListing {
  readonly invoices: readonly InvoiceRow[];
  /** Notifications still being fetched, or that raised an alarm (settled ones are in `invoices`). */
  readonly openNotifications: readonly NotificationRecord[];
  /** How many are pending/alarmed in all, and how many named an id the Invoice Service does not know. */
  readonly counts?: NotificationCounts;
}

export function invoiceListing(invoices: readonly InvoiceRecord[], notifications: readonly NotificationRecord[], counts?: NotificationCounts): InvoiceListing {
  return {
    ...(counts ? { counts } : {}),
    invoices: invoices.map((i) => ({
      id: i.id,
      reference: i.reference,
      amount: formatMinor(i.amountMinor),
      currency: i.currency,
      description: i.description,
      payOnce: i.payOnce,
      state: i.state,
      issuedAt: new Date(i.issuedAt).toISOString(),
      glaseInvoiceId: i.glaseInvoiceId,
      ersReference: i.ersReference,
      purchaseTime: i.purchaseTime,
      qrPrint: i.qrPrint,
      receiptPrint: i.receiptPrint,
    })),
    openNotifications: notifications.filter((n) => n.state === "pending" || n.state === "alarm").slice(0, LISTED_NOTIFICATIONS),
  };
}

export function renderInvoiceListing(listing: InvoiceListing): string {
  const lines = ["REFERENCE                       AMOUNT        STATE                GLASE-ID  ERS-REFERENCE"];
  for (const i of listing.invoices) {
    lines.push(
      [i.reference.padEnd(31), `${i.amount} ${i.currency}`.padStart(13), i.state.padEnd(20), String(i.glaseInvoiceId ?? "-").padStart(8), i.ersReference ?? "-"].join(" "),
    );
  }
  if (listing.invoices.length === 0) lines.push("(no invoices issued)");
  const c = listing.counts;
  if (c) {
    const more = c.pending + c.alarm - listing.openNotifications.length;
    if (more > 0) lines.push(`(${more} more open notification(s): ${c.pending} pending, ${c.alarm} with an alarm in all)`);
    if (c.unknown.count > 0) {
      lines.push(`ALARM ${c.unknown.count} notification(s) for ids the Invoice Service does not know (latest ${c.unknown.lastInvoiceId ?? "?"} at ${c.unknown.lastAt !== null ? new Date(c.unknown.lastAt).toISOString() : "?"})`);
    }
  }
  for (const n of listing.openNotifications) {
    lines.push(
      n.state === "alarm"
        ? `ALARM notification ${n.invoiceId}: ${n.alarm ?? "?"}`
        : `pending notification ${n.invoiceId}: ${n.fetchAttempts} failed details fetch(es), next ${new Date(n.nextAttemptAt).toISOString()}${n.lastError ? ` (${n.lastError})` : ""}`,
    );
  }
  return lines.join("\n");
}
