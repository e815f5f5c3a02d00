// Optional strict unmarshalling (§1.4 last row): what a default CXF server does with an element
// the schema does not declare — a soap:Client fault "Unmarshalling Error: unexpected element".
// Off by default (real JAXB servers ignore nothing less, but the docs' own examples carry typos);
// on, it lets our client's tests prove it emits only schema elements. Order is not checked
// (JAXB accepts any order). Element tables follow Appendix A.
import { UnmarshalError } from "./soap-request.ts";
import type { XmlElement } from "./xml.ts";

/** child local name → its type (null = simple content). */
type Children = Readonly<Record<string, string | null>>;

const TYPES: Readonly<Record<string, Children>> = {
  clientContext: { channel: null, clientComment: null, clientId: null, clientReference: null, clientRequestTimeout: null, initiatorPrincipalId: "principalId", password: null },
  principalId: { id: null, type: null, userId: null },
  invoice: {
    paymentMode: null,
    acknowledgmentMode: null,
    issueDate: null,
    title: null,
    clientInvoiceId: null,
    invoiceRows: "invoiceRows",
    totalAmount: "amount",
    cashierId: null,
    footer: null,
    backURL: null,
    notificationUrl: null,
    commitReservationTimeout: null,
  },
  invoiceRows: { invoiceRow: "paymentInvoiceRow" },
  paymentInvoiceRow: {
    itemDescription: null,
    itemDiscount: "amount",
    itemEAN: null,
    itemQuantity: null,
    itemSKU: null,
    itemTaxRate: null,
    itemTotalAmount: "amount",
    itemUnit: null,
    itemUnitPrice: "amount",
  },
  amount: { currency: null, value: null },
  customerToken: { description: null, id: null, status: null, value: null },
  receiptDocument: { mimeType: null, receiptData: null, receiptType: null },
  parameterMap: { parameter: "mapArray" },
  mapArray: { entry: "parameter" },
  parameter: { key: null, value: null },
  // request wrappers
  registerTerminal: { context: "clientContext", externalTerminalId: null, password: null, name: null },
  assignSeqrId: { context: "clientContext", seqrId: null },
  unregisterTerminal: { context: "clientContext" },
  sendInvoice: { context: "clientContext", invoice: "invoice", tokens: "customerToken" },
  getPaymentStatus: { context: "clientContext", invoiceReference: null, invoiceVersion: null },
  updateInvoice: { context: "clientContext", invoiceReference: null, invoice: "invoice", tokens: "customerToken" },
  cancelInvoice: { context: "clientContext", invoiceReference: null },
  commitReservation: { context: "clientContext", amount: "amount", invoiceReference: null },
  submitPaymentReceipt: { context: "clientContext", ersReference: null, receiptDocument: "receiptDocument" },
  refundPayment: { context: "clientContext", ersReference: null, invoice: "invoice" },
  markTransactionPeriod: { context: "clientContext", parameters: "parameterMap" },
  executeReport: { context: "clientContext", reportId: null, language: null, parameters: "parameterMap" },
  benchmarkingNop: {},
};

function check(el: XmlElement, type: string): void {
  const allowed = TYPES[type]!;
  for (const c of el.children) {
    if (c.ns !== undefined || !Object.hasOwn(allowed, c.local)) {
      const expected = Object.keys(allowed).map((n) => `<{}${n}>`).join(",");
      throw new UnmarshalError(`unexpected element (uri:"${c.ns ?? ""}", local:"${c.local}"). Expected elements are ${expected || "(none)"}`);
    }
    const childType = allowed[c.local];
    if (childType) check(c, childType);
    else if (c.children.length) throw new UnmarshalError(`element ${c.local} has simple content, found child element ${c.children[0]!.local}`);
  }
}

/** Throws UnmarshalError for an element the schema does not declare. ERS-only operations are not modelled (xs:anyType). */
export function checkStrict(operation: string, wrapper: XmlElement): void {
  if (Object.hasOwn(TYPES, operation)) check(wrapper, operation);
}
