// One entry per wire operation: decode the request wrapper, run the backend, encode the `return`
// (schema order of Appendix A). The six ERS-only operations answer 91 (§8.4).
import { formatMinor } from "../../base/money.ts";
import { ERS_ONLY_OPERATIONS } from "../../contracts/glase/types.ts";
import { cancelInvoice, cancelOpenInvoices, getPaymentStatus, sendInvoice, updateInvoice } from "./invoices.ts";
import { refundPayment, submitPaymentReceipt } from "./refunds.ts";
import { executeReport, markTransactionPeriod } from "./reports.ts";
import { commitReservation } from "./reservations.ts";
import type { GlaseSimulator } from "./simulator.ts";
import {
  decodeAmount,
  decodeContext,
  decodeInt,
  decodeInvoice,
  decodeParameters,
  decodeString,
  decodeTokens,
} from "./soap-request.ts";
import { baseFields, field, invoiceXml, tokenXml, wrap } from "./soap-response.ts";
import type { InvoiceRecord } from "./state.ts";
import { assignSeqrId, registerTerminal, unregisterTerminal } from "./terminals.ts";
import { child, complexChild, textOf, type XmlElement } from "./xml.ts";

export interface OperationMeta {
  /** Request arrived on the legacy `/extclientproxy/service` path (§9 A8). */
  legacyPath: boolean;
}

type Handler = (sim: GlaseSimulator, req: XmlElement, meta: OperationMeta) => string;

/** `return` of a call that failed before any operation-specific field exists. */
export function errorReturn(operation: string, code: number): string {
  // version is a Java int: always written, 0 in error responses (§3.5).
  return baseFields(code) + (operation === "getPaymentStatus" ? field("version", 0) : "");
}

function statusReturn(sim: GlaseSimulator, inv: InvoiceRecord): string {
  const status = inv.status;
  const paid = status === "PAID";
  let receipt = "";
  if (paid) {
    const terminal = sim.state.terminals.get(inv.terminalId);
    receipt = wrap(
      "receipt",
      field("terminalId", inv.terminalId) +
        field("paymentDate", new Date(inv.paidAt!).toISOString()) +
        field("clientInvoiceId", inv.invoice.clientInvoiceId) +
        field("invoiceReference", inv.invoiceReference) +
        field("paymentReference", inv.ersReference) +
        field("payerTerminalId", inv.customer?.payerTerminalId) +
        field("receiverName", terminal?.name) +
        // The invoice as received (A30); a commit of another amount shows the amount taken.
        invoiceXml(
          "invoice",
          inv.paidMinor === inv.totalMinor ? inv.wireInvoice : { ...inv.wireInvoice, totalAmount: { currency: inv.currency, value: formatMinor(inv.paidMinor!) } },
        ),
    );
  }
  const tokens = inv.offeredTokens.length ? wrap("customerTokens", inv.offeredTokens.map((t) => tokenXml("token", t)).join("")) : "";
  return baseFields(0, paid ? inv.ersReference : undefined) + field("status", status) + receipt + tokens + field("version", inv.version);
}

const unsupported: Handler = () => baseFields(91);

export const OPERATIONS: Record<string, Handler> = {
  registerTerminal(sim, req) {
    const r = registerTerminal(sim, decodeContext(req), decodeString(req, "externalTerminalId"), decodeString(req, "password"), decodeString(req, "name"));
    return baseFields(r.code) + field("terminalId", r.terminalId);
  },
  assignSeqrId(sim, req) {
    // `glaseId` is accepted as an alias of `seqrId` (§9 A1), never emitted.
    return baseFields(assignSeqrId(sim, decodeContext(req), decodeString(req, "seqrId") ?? decodeString(req, "glaseId")));
  },
  unregisterTerminal(sim, req) {
    return baseFields(unregisterTerminal(sim, decodeContext(req), (t) => cancelOpenInvoices(sim, t)));
  },
  sendInvoice(sim, req, meta) {
    const r = sendInvoice(sim, decodeContext(req), decodeInvoice(child(req, "invoice")), decodeTokens(req), meta.legacyPath);
    return baseFields(r.code) + field("invoiceQRCode", r.invoiceQRCode) + field("invoiceReference", r.invoiceReference);
  },
  getPaymentStatus(sim, req) {
    const r = getPaymentStatus(sim, decodeContext(req), decodeString(req, "invoiceReference"), decodeInt(req, "invoiceVersion"));
    return r.invoice ? statusReturn(sim, r.invoice) : errorReturn("getPaymentStatus", r.code);
  },
  updateInvoice(sim, req) {
    return baseFields(updateInvoice(sim, decodeContext(req), decodeString(req, "invoiceReference"), decodeInvoice(child(req, "invoice")), decodeTokens(req)));
  },
  cancelInvoice(sim, req) {
    return baseFields(cancelInvoice(sim, decodeContext(req), decodeString(req, "invoiceReference")));
  },
  commitReservation(sim, req) {
    return baseFields(commitReservation(sim, decodeContext(req), decodeString(req, "invoiceReference"), decodeAmount(child(req, "amount"))));
  },
  submitPaymentReceipt(sim, req) {
    const doc = complexChild(req, "receiptDocument");
    const input = doc ? { mimeType: textOf(doc, "mimeType"), receiptType: textOf(doc, "receiptType"), receiptData: textOf(doc, "receiptData") } : undefined;
    return baseFields(submitPaymentReceipt(sim, decodeContext(req), decodeString(req, "ersReference"), input));
  },
  refundPayment(sim, req) {
    const r = refundPayment(sim, decodeContext(req), decodeString(req, "ersReference"), decodeInvoice(child(req, "invoice")));
    return baseFields(r.code, r.ersReference);
  },
  markTransactionPeriod(sim, req) {
    const r = markTransactionPeriod(sim, decodeContext(req), decodeParameters(req));
    return baseFields(r.code) + field("transactionPeriodId", r.transactionPeriodId);
  },
  executeReport(sim, req) {
    const r = executeReport(sim, decodeContext(req), decodeString(req, "reportId"), decodeParameters(req));
    if (!r.report) return baseFields(r.code);
    const rep = r.report;
    const content = Buffer.from(rep.content!).toString("base64");
    const cdata = `<contentString><![CDATA[${rep.contentString!.replace(/]]>/g, "]]]]><![CDATA[>")}]]></contentString>`;
    return baseFields(0) + wrap("report", field("title", rep.title) + field("mimeType", rep.mimeType) + field("content", content) + cdata);
  },
  benchmarkingNop() {
    return baseFields(0);
  },
  ...Object.fromEntries(ERS_ONLY_OPERATIONS.map((op) => [op, unsupported])),
};

/** Wire name of the request element → canonical operation (aliases of §9 A2). */
export function canonicalOperation(local: string): string | undefined {
  if (local === "unRegisterTerminal") return "unregisterTerminal";
  return Object.hasOwn(OPERATIONS, local) ? local : undefined;
}
