// What `glase-agent ctl invoices` shows: issued invoices with their payment and release state,
// plus notifications that raised an alarm. JSON-safe rows for the control socket, and a text
// table for the terminal.
import { formatMinor } from "../core/money.ts";
import type { InvoiceRecord, NotificationRecord } from "./store.ts";

export interface InvoiceRow {
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
}

export function invoiceListing(invoices: readonly InvoiceRecord[], notifications: readonly NotificationRecord[]): InvoiceListing {
  return {
    invoices: invoices.map((i) => ({
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
    openNotifications: notifications.filter((n) => n.state !== "settled"),
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
  for (const n of listing.openNotifications) {
    lines.push(
      n.state === "alarm"
        ? `ALARM notification ${n.invoiceId}: ${n.alarm ?? "?"}`
        : `pending notification ${n.invoiceId}: ${n.fetchAttempts} failed details fetch(es), next ${new Date(n.nextAttemptAt).toISOString()}${n.lastError ? ` (${n.lastError})` : ""}`,
    );
  }
  return lines.join("\n");
}
