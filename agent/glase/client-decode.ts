// Response decoding (contract §4.10, §6.15): the XML has already been parsed by local name
// (prefixes stripped, client-parse.ts) and every leaf arrives as its raw text, so numbers and
// amounts are converted here, exactly (parseMinor for money, no floats).
// Unknown elements are ignored; unknown `status` strings pass through.
import { money, parseMinor, type Money } from "../../base/money.ts";
import type {
  AcknowledgmentMode,
  CustomerToken,
  ExecuteReportResponse,
  GlaseResponse,
  Invoice,
  InvoiceRow,
  MarkTransactionPeriodResponse,
  PaymentMode,
  PaymentStatusResponse,
  Receipt,
  RegisterTerminalResponse,
  Report,
  SendInvoiceResponse,
} from "../../contracts/glase/types.ts";

/** The answer was HTTP 200 but not a response we can read (missing `return`, bad number …). */
export class UnreadableResponse extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnreadableResponse";
  }
}

type Node = Record<string, unknown>;

function isNode(v: unknown): v is Node {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A leaf's text; an element with children where a leaf was expected reads as absent. */
function text(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}

function integer(v: unknown, field: string): number | undefined {
  const t = text(v)?.trim();
  if (t === undefined || t === "") return undefined;
  if (!/^[+-]?\d+$/.test(t)) throw new UnreadableResponse(`${field} is not an integer: ${JSON.stringify(t)}`);
  const n = Number(t);
  if (!Number.isSafeInteger(n)) throw new UnreadableResponse(`${field} out of range: ${t}`);
  return n;
}

function required(v: string | undefined, field: string): string {
  if (v === undefined || v === "") throw new UnreadableResponse(`missing ${field}`);
  return v;
}

function list(v: unknown): Node[] {
  if (Array.isArray(v)) return v.filter(isNode);
  return isNode(v) ? [v] : [];
}

function amount(v: unknown, field: string): Money | undefined {
  if (!isNode(v)) return undefined;
  const value = text(v.value);
  if (value === undefined || value.trim() === "") return undefined;
  try {
    return money(text(v.currency) ?? "", parseMinor(value));
  } catch {
    throw new UnreadableResponse(`${field} is not an amount: ${JSON.stringify(value)}`);
  }
}

/** A copy without the undefined fields (copying, not `delete`, keeps objects on V8's fast path). */
function definedOnly<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

function decodeRow(row: Node): InvoiceRow {
  return definedOnly({
    itemDescription: text(row.itemDescription),
    itemDiscount: amount(row.itemDiscount, "itemDiscount"),
    itemEAN: text(row.itemEAN),
    itemQuantity: text(row.itemQuantity),
    itemSKU: text(row.itemSKU),
    itemTaxRate: text(row.itemTaxRate),
    itemTotalAmount: amount(row.itemTotalAmount, "itemTotalAmount"),
    itemUnit: text(row.itemUnit),
    itemUnitPrice: amount(row.itemUnitPrice, "itemUnitPrice"),
  });
}

export function decodeInvoice(inv: Node): Invoice {
  const rows = isNode(inv.invoiceRows) ? list(inv.invoiceRows.invoiceRow).map(decodeRow) : undefined;
  return definedOnly({
    paymentMode: text(inv.paymentMode) as PaymentMode | undefined,
    acknowledgmentMode: text(inv.acknowledgmentMode) as AcknowledgmentMode | undefined,
    issueDate: text(inv.issueDate),
    title: text(inv.title),
    clientInvoiceId: text(inv.clientInvoiceId),
    invoiceRows: rows,
    totalAmount: amount(inv.totalAmount, "totalAmount"),
    cashierId: text(inv.cashierId),
    footer: text(inv.footer),
    backURL: text(inv.backURL),
    notificationUrl: text(inv.notificationUrl),
    commitReservationTimeout: integer(inv.commitReservationTimeout, "commitReservationTimeout"),
  });
}

function decodeToken(t: Node): CustomerToken {
  return definedOnly({
    description: text(t.description),
    id: text(t.id),
    status: integer(t.status, "token status") ?? 0,
    value: text(t.value),
  });
}

function decodeReceipt(r: Node): Receipt {
  return definedOnly({
    terminalId: text(r.terminalId),
    paymentDate: text(r.paymentDate),
    clientInvoiceId: text(r.clientInvoiceId),
    invoiceReference: text(r.invoiceReference),
    paymentReference: text(r.paymentReference),
    payerTerminalId: text(r.payerTerminalId),
    receiverName: text(r.receiverName),
    invoice: isNode(r.invoice) ? decodeInvoice(r.invoice) : undefined,
  });
}

function decodeReport(r: Node): Report {
  const b64 = text(r.content);
  const content = b64 === undefined ? undefined : new Uint8Array(Buffer.from(b64, "base64"));
  return definedOnly({ title: text(r.title), mimeType: text(r.mimeType), content, contentString: text(r.contentString) });
}

/** The `return` element of a `<op>Response` wrapper and its base fields (§4.10). */
export function decodeBase(result: unknown): { ret: Node; base: GlaseResponse } {
  if (!isNode(result) || !isNode(result.return)) throw new UnreadableResponse("response has no <return> element");
  const ret = result.return;
  const resultCode = integer(ret.resultCode, "resultCode");
  if (resultCode === undefined) throw new UnreadableResponse("response has no resultCode");
  const ersReference = text(ret.ersReference);
  const resultDescription = text(ret.resultDescription);
  return {
    ret,
    base: definedOnly({ ersReference: ersReference === "" ? undefined : ersReference, resultCode, resultDescription }),
  };
}

// Operation-specific fields, read only after resultCode 0 (error answers may lack them).

export const decode = {
  plain: (_ret: Node, base: GlaseResponse): GlaseResponse => base,
  sendInvoice: (ret: Node, base: GlaseResponse): SendInvoiceResponse =>
    definedOnly({
      ...base,
      invoiceQRCode: text(ret.invoiceQRCode),
      invoiceReference: required(text(ret.invoiceReference), "invoiceReference"),
    }),
  getPaymentStatus: (ret: Node, base: GlaseResponse): PaymentStatusResponse =>
    definedOnly({
      ...base,
      status: required(text(ret.status)?.trim(), "status"),
      receipt: isNode(ret.receipt) ? decodeReceipt(ret.receipt) : undefined,
      customerTokens: isNode(ret.customerTokens) ? list(ret.customerTokens.token).map(decodeToken) : [],
      // Java int, always written by a JAXB server; an empty element reads as 0 (§1.4).
      version: integer(ret.version, "version") ?? 0,
    }),
  registerTerminal: (ret: Node, base: GlaseResponse): RegisterTerminalResponse => ({
    ...base,
    terminalId: required(text(ret.terminalId), "terminalId"),
  }),
  markTransactionPeriod: (ret: Node, base: GlaseResponse): MarkTransactionPeriodResponse => ({
    ...base,
    transactionPeriodId: required(text(ret.transactionPeriodId), "transactionPeriodId"),
  }),
  executeReport: (ret: Node, base: GlaseResponse): ExecuteReportResponse => ({
    ...base,
    report: decodeReport(isNode(ret.report) ? ret.report : {}),
  }),
};
