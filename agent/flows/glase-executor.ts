// Performs the Glase calls the flows ask for and classifies what came back (contract §6.15):
// GlaseError ⇒ definite result code; TransportError ⇒ definite or indefinite as the client says;
// anything else (unreadable answer) ⇒ indefinite, because the server may have processed it.
import type { GlaseCall } from "../core/effects.ts";
import type { GlaseOutcome } from "../core/inputs.ts";
import { money } from "../../base/money.ts";
import { AgentError } from "../../base/errors.ts";
import { GlaseError, TransportError } from "../glase/errors.ts";
import type { GlaseApi, Principal, ReceiptDocument, ResellerCredentials, TerminalCredentials } from "../../contracts/glase/types.ts";

export interface GlaseCallTarget {
  readonly terminal?: TerminalCredentials;
  readonly reseller?: ResellerCredentials;
}

export function classifyFailure(err: unknown): GlaseOutcome {
  if (err instanceof GlaseError) return { kind: "result", code: err.resultCode };
  if (err instanceof TransportError) return { kind: "transport", indefinite: err.indefinite };
  return { kind: "transport", indefinite: true };
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new AgentError("CONFIG_INVALID", `no ${what} configured for this Glase call`, { what });
  return value;
}

function receiptDocument(call: Extract<GlaseCall, { op: "submitPaymentReceipt" }>): ReceiptDocument {
  const r = call.receipt;
  const text = [r.stationName, `${r.description} ${(r.amountMinor / 100).toFixed(2)} ${r.currency}`, r.ersReference, r.timestamp].join("\n");
  return { mimeType: "text/plain", receiptData: new TextEncoder().encode(text), receiptType: "PAYMENT_RECEIPT" };
}

/** Runs one call; never throws: every failure becomes an outcome the machines decide on. */
export async function executeGlaseCall(
  api: GlaseApi,
  target: GlaseCallTarget,
  call: GlaseCall,
  opts: { readonly clientReference: string; readonly timeoutMs: number },
): Promise<GlaseOutcome> {
  try {
    switch (call.op) {
      case "sendInvoice": {
        const r = await api.sendInvoice(need(target.terminal, "terminal"), call.invoice, undefined, opts);
        return { kind: "ok", invoiceReference: r.invoiceReference };
      }
      case "getPaymentStatus": {
        const r = await api.getPaymentStatus(need(target.terminal, "terminal"), call.invoiceReference, call.version, opts);
        return {
          kind: "ok",
          status: r.status,
          version: r.version,
          ...(r.ersReference !== undefined ? { ersReference: r.ersReference } : {}),
          ...(r.receipt?.paymentDate !== undefined ? { paymentDate: r.receipt.paymentDate } : {}),
          ...(r.receipt?.clientInvoiceId !== undefined ? { clientInvoiceId: r.receipt.clientInvoiceId } : {}),
          ...(r.receipt?.invoiceReference !== undefined ? { invoiceReference: r.receipt.invoiceReference } : {}),
          ...(r.status === "PAID" && r.receipt?.invoice?.totalAmount !== undefined ? { paidMinor: r.receipt.invoice.totalAmount.minor } : {}),
        };
      }
      case "updateInvoice":
        await api.updateInvoice(need(target.terminal, "terminal"), call.invoiceReference, call.invoice, undefined, opts);
        return { kind: "ok" };
      case "cancelInvoice":
        await api.cancelInvoice(need(target.terminal, "terminal"), call.invoiceReference, opts);
        return { kind: "ok" };
      case "commitReservation":
        await api.commitReservation(need(target.terminal, "terminal"), call.invoiceReference, money(call.currency, call.amountMinor), opts);
        return { kind: "ok" };
      case "submitPaymentReceipt":
        await api.submitPaymentReceipt(need(target.terminal, "terminal"), call.ersReference, receiptDocument(call), opts);
        return { kind: "ok" };
      case "refundPayment": {
        const r = await api.refundPayment(need(target.terminal, "terminal"), call.ersReference, call.invoice, opts);
        return { kind: "ok", ...(r.ersReference !== undefined ? { ersReference: r.ersReference } : {}) };
      }
      case "markTransactionPeriod": {
        const params = call.terminalId !== undefined ? { TERMINALID: call.terminalId } : undefined;
        const r = await api.markTransactionPeriod(principalOf(target), params, opts);
        return { kind: "ok", transactionPeriodId: r.transactionPeriodId };
      }
      case "executeReport": {
        const params: Record<string, string> = { transactionPeriodId: call.transactionPeriodId };
        if (call.terminalId !== undefined) params.TERMINALID = call.terminalId;
        const r = await api.executeReport(principalOf(target), call.reportId, "en", params, opts);
        const report = r.report.contentString ?? (r.report.content ? new TextDecoder().decode(r.report.content) : "");
        return { kind: "ok", report, ...(r.report.mimeType !== undefined ? { mimeType: r.report.mimeType } : {}) };
      }
      default: {
        const never: never = call;
        throw new AgentError("INTERNAL", `unknown Glase call ${JSON.stringify(never)}`);
      }
    }
  } catch (err) {
    return classifyFailure(err);
  }
}

function principalOf(target: GlaseCallTarget): Principal {
  if (target.reseller) return { type: "RESELLERUSER", ...target.reseller };
  return { type: "TERMINALID", ...need(target.terminal, "terminal or shop credentials") };
}
