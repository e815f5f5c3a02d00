// Response writing in the CXF style of the contract examples (§9 A43): `soap:` envelope, `ns2:`
// wrapper, unqualified children in schema order (Appendix A), one `return` element.
// Plain string building: responses are small and this runs on every request.
import { resultDescription } from "../../contracts/glase/result-codes.ts";
import { GLASE_NAMESPACE, SOAP_ENVELOPE_NAMESPACE, type CustomerToken } from "../../contracts/glase/types.ts";
import type { RawAmount, RawInvoice } from "./soap-request.ts";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };

export function esc(s: string): string {
  return /[&<>"]/.test(s) ? s.replace(/[&<>"]/g, (c) => ESCAPES[c]!) : s;
}

/** `<name>value</name>`, or nothing when the value is absent (minOccurs=0 fields). */
export function field(name: string, value: string | number | undefined): string {
  return value === undefined ? "" : `<${name}>${esc(String(value))}</${name}>`;
}

export function wrap(name: string, inner: string): string {
  return `<${name}>${inner}</${name}>`;
}

function amountXml(name: string, a: RawAmount | undefined): string {
  return a ? wrap(name, field("currency", a.currency) + field("value", a.value)) : "";
}

/** The `invoice` type in its wire order (§4.3), values as received, as echoed inside a receipt. */
export function invoiceXml(name: string, inv: RawInvoice): string {
  const rows = inv.invoiceRows?.length
    ? wrap(
        "invoiceRows",
        inv.invoiceRows
          .map((r) =>
            wrap(
              "invoiceRow",
              field("itemDescription", r.itemDescription) +
                amountXml("itemDiscount", r.itemDiscount) +
                field("itemEAN", r.itemEAN) +
                field("itemQuantity", r.itemQuantity) +
                field("itemSKU", r.itemSKU) +
                field("itemTaxRate", r.itemTaxRate) +
                amountXml("itemTotalAmount", r.itemTotalAmount) +
                field("itemUnit", r.itemUnit) +
                amountXml("itemUnitPrice", r.itemUnitPrice),
            ),
          )
          .join(""),
      )
    : "";
  return wrap(
    name,
    field("paymentMode", inv.paymentMode) +
      field("acknowledgmentMode", inv.acknowledgmentMode) +
      field("issueDate", inv.issueDate) +
      field("title", inv.title) +
      field("clientInvoiceId", inv.clientInvoiceId) +
      rows +
      amountXml("totalAmount", inv.totalAmount) +
      field("cashierId", inv.cashierId) +
      field("footer", inv.footer) +
      field("backURL", inv.backURL) +
      field("notificationUrl", inv.notificationUrl) +
      field("commitReservationTimeout", inv.commitReservationTimeout),
  );
}

export function tokenXml(name: string, t: CustomerToken): string {
  return wrap(name, field("description", t.description) + field("id", t.id) + field("status", t.status) + field("value", t.value));
}

/** The three base fields of every `return` (§4.10). */
export function baseFields(code: number, ersReference?: string): string {
  return field("ersReference", ersReference) + field("resultCode", code) + field("resultDescription", resultDescription(code));
}

const ENVELOPE_HEAD = `<soap:Envelope xmlns:soap="${SOAP_ENVELOPE_NAMESPACE}"><soap:Body>`;
const ENVELOPE_TAIL = `</soap:Body></soap:Envelope>`;

/** The whole response document for `<operation>Response` whose `return` holds `returnInner`. */
export function responseEnvelope(operation: string, returnInner: string): string {
  return `${ENVELOPE_HEAD}<ns2:${operation}Response xmlns:ns2="${GLASE_NAMESPACE}"><return>${returnInner}</return></ns2:${operation}Response>${ENVELOPE_TAIL}`;
}

/** SOAP 1.1 Fault (HTTP 500): `Client` for bad requests, `Server` for our own failures. */
export function faultEnvelope(code: "Client" | "Server", message: string): string {
  return `${ENVELOPE_HEAD}<soap:Fault><faultcode>soap:${code}</faultcode><faultstring>${esc(message)}</faultstring></soap:Fault>${ENVELOPE_TAIL}`;
}
