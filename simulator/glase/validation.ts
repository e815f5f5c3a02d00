// Invoice validation of contract §6.5 (49 INVALID_INVOICE_DATA unless stated; 11 for a total
// ≤ 0; 64 for a bad notificationUrl) and normalisation into the typed model (integer minor units).
import { parseMinor, type Money } from "../../base/money.ts";
import { isAgentError } from "../../base/errors.ts";
import {
  ACKNOWLEDGMENT_MODES,
  PAYMENT_MODES,
  type AcknowledgmentMode,
  type Invoice,
  type InvoiceRow,
  type PaymentMode,
} from "../../contracts/glase/types.ts";
import type { RawAmount, RawInvoice } from "./soap-request.ts";

export interface ValidInvoice {
  ok: true;
  invoice: Invoice;
  totalMinor: number;
  currency: string;
  paymentMode: PaymentMode;
  acknowledgmentMode: AcknowledgmentMode;
}

export interface InvalidInvoice {
  ok: false;
  code: 11 | 49 | 64;
  reason: string;
}

class Invalid extends Error {
  constructor(readonly code: 11 | 49 | 64, reason: string) {
    super(reason);
  }
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
// xs:dateTime, or the date-only form some clients send (Magento: date('Y-m-d')), §1.4.
const ISSUE_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$/;
const URL_SCHEME = /^https?:\/\//i;

function money(raw: RawAmount, what: string, currency: string | undefined): Money {
  if (!raw.currency) throw new Invalid(49, `${what} has no currency`);
  if (raw.value === undefined || raw.value === "") throw new Invalid(49, `${what} has no value`);
  if (currency !== undefined && raw.currency !== currency) throw new Invalid(49, `${what} currency ${raw.currency} differs from ${currency}`);
  try {
    return { currency: raw.currency, minor: parseMinor(raw.value) };
  } catch (e) {
    if (isAgentError(e)) throw new Invalid(49, `${what}: ${e.message}`);
    throw e;
  }
}

function decimal(text: string | undefined, what: string): string | undefined {
  if (text === undefined) return undefined;
  if (!DECIMAL.test(text)) throw new Invalid(49, `${what} is not a decimal: ${JSON.stringify(text)}`);
  return text;
}

/**
 * @param expectedCurrency the shop currency (payments) or the payment's currency (refunds): a
 *   different currency is the textbook 49 (§6.5).
 */
export function validateInvoice(raw: RawInvoice | undefined, expectedCurrency: string): ValidInvoice | InvalidInvoice {
  try {
    if (!raw) throw new Invalid(49, "invoice is missing");
    if (!raw.totalAmount) throw new Invalid(49, "totalAmount is missing");
    const total = money(raw.totalAmount, "totalAmount", undefined);
    if (total.currency !== expectedCurrency) throw new Invalid(49, `currency ${total.currency} is not ${expectedCurrency}`);
    if (total.minor <= 0) throw new Invalid(11, "totalAmount must be greater than zero");

    const paymentMode = (raw.paymentMode ?? "IMMEDIATE_DEBIT") as PaymentMode;
    if (!PAYMENT_MODES.includes(paymentMode)) throw new Invalid(49, `unknown paymentMode ${raw.paymentMode}`);
    // Absent = REQUIRE_ACKNOWLEDGMENT, the JAXB default of the vendor's Invoice class (§9 A8).
    const acknowledgmentMode = (raw.acknowledgmentMode ?? "REQUIRE_ACKNOWLEDGMENT") as AcknowledgmentMode;
    if (!ACKNOWLEDGMENT_MODES.includes(acknowledgmentMode)) throw new Invalid(49, `unknown acknowledgmentMode ${raw.acknowledgmentMode}`);

    if (raw.issueDate !== undefined && !ISSUE_DATE.test(raw.issueDate)) throw new Invalid(49, `issueDate is not a date: ${raw.issueDate}`);

    let timeout: number | undefined;
    if (raw.commitReservationTimeout !== undefined) {
      if (!/^\d{1,12}$/.test(raw.commitReservationTimeout)) throw new Invalid(49, "commitReservationTimeout is not a number of seconds");
      timeout = Number(raw.commitReservationTimeout);
    }
    if (paymentMode === "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT" && !(timeout! > 0)) {
      throw new Invalid(49, "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT needs commitReservationTimeout > 0");
    }
    if (raw.notificationUrl !== undefined && !URL_SCHEME.test(raw.notificationUrl)) throw new Invalid(64, "notificationUrl must start with http:// or https://");
    if (raw.backURL !== undefined && !URL_SCHEME.test(raw.backURL)) throw new Invalid(49, "backURL must start with http:// or https://");

    let rows: InvoiceRow[] | undefined;
    if (raw.invoiceRows) {
      let sum = 0;
      let rowsWithTotal = 0;
      rows = raw.invoiceRows.map((r, i) => {
        const what = `invoiceRow ${i + 1}`;
        const quantity = decimal(r.itemQuantity, `${what} itemQuantity`);
        if (quantity !== undefined && !(Number(quantity) > 0)) throw new Invalid(49, `${what} itemQuantity must be > 0`);
        const rowTotal = r.itemTotalAmount ? money(r.itemTotalAmount, `${what} itemTotalAmount`, total.currency) : undefined;
        if (rowTotal) {
          sum += rowTotal.minor;
          rowsWithTotal++;
        }
        return {
          itemDescription: r.itemDescription,
          itemDiscount: r.itemDiscount ? money(r.itemDiscount, `${what} itemDiscount`, total.currency) : undefined,
          itemEAN: r.itemEAN,
          itemQuantity: quantity,
          itemSKU: r.itemSKU,
          itemTaxRate: decimal(r.itemTaxRate, `${what} itemTaxRate`),
          itemTotalAmount: rowTotal,
          itemUnit: r.itemUnit,
          itemUnitPrice: r.itemUnitPrice ? money(r.itemUnitPrice, `${what} itemUnitPrice`, total.currency) : undefined,
        };
      });
      // Sum-of-rows is checked only when at least one row carries a total (§9 A31).
      if (rowsWithTotal > 0 && sum !== total.minor) throw new Invalid(49, `rows sum to ${sum} minor units, totalAmount is ${total.minor}`);
    }

    const invoice: Invoice = {
      paymentMode: raw.paymentMode ? paymentMode : undefined,
      acknowledgmentMode: raw.acknowledgmentMode ? acknowledgmentMode : undefined,
      issueDate: raw.issueDate,
      title: raw.title,
      clientInvoiceId: raw.clientInvoiceId,
      invoiceRows: rows,
      totalAmount: total,
      cashierId: raw.cashierId,
      footer: raw.footer,
      backURL: raw.backURL,
      notificationUrl: raw.notificationUrl,
      commitReservationTimeout: timeout,
    };
    return { ok: true, invoice, totalMinor: total.minor, currency: total.currency, paymentMode, acknowledgmentMode };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, code: e.code, reason: e.message };
    throw e;
  }
}
