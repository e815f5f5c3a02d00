// Issuer report of contract §7.3 as CSV: a header line, then one line per paid invoice, fields in
// the documented order. Text fields: backslash, CR and LF are escaped (`\\`, `\r`, `\n`) so every
// record stays on one line ("new lines are escaped"); a field holding a comma or a double quote
// is wrapped in double quotes with inner quotes doubled (RFC 4180). PURCHASE_TIME is ISO-8601
// with the Stockholm offset.
import { formatMinor } from "../../base/money.ts";
import type { PaidInvoice } from "./service.ts";
import { formatIsoWithOffset } from "./stockholm-time.ts";

export const REPORT_COLUMNS = [
  "ID",
  "DESCRIPTION",
  "AMOUNT",
  "CURRENCY",
  "STATUS",
  "REFERENCE",
  "ERS_REFERENCE",
  "PURCHASE_TIME",
  "PAYER_MSISDN",
  "PAYER_FIRST_NAME",
  "PAYER_LAST_NAME",
  "PAYER_STREET",
  "PAYER_CITY",
  "PAYER_ZIP",
  "PAYER_COUNTRY",
] as const;

export function csvField(value: string): string {
  const escaped = value.replace(/\\/g, "\\\\").replace(/\r/g, "\\r").replace(/\n/g, "\\n");
  return /[",]/.test(escaped) ? `"${escaped.replace(/"/g, '""')}"` : escaped;
}

export function renderReportCsv(invoices: readonly PaidInvoice[]): string {
  const lines = [REPORT_COLUMNS.join(",")];
  for (const i of invoices) {
    const p = i.payer;
    const row = [
      String(i.id),
      i.description,
      formatMinor(i.amountMinor),
      i.currency,
      "PAID",
      i.reference,
      i.ersReference,
      formatIsoWithOffset(i.paidAt),
      p.msisdn ?? "",
      p.firstName ?? "",
      p.lastName ?? "",
      p.street ?? "",
      p.city ?? "",
      p.zip ?? "",
      p.country ?? "",
    ];
    lines.push(row.map(csvField).join(","));
  }
  return lines.join("\r\n") + "\r\n";
}
