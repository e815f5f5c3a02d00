// A technician's refund (`ctl refund`) is checked against the payment it refunds — a receipt in
// the journal (a pump, a kiosk) or an Invoice Service payment — before anything is sent. A
// reference this agent has no record of is refused: a mistyped one could be another customer's
// payment. `force` sends it anyway (a payment older than the journal keeps, or taken elsewhere):
// the technician's choice, journaled with the action and logged.
import { AgentError } from "../../base/errors.ts";
import type { Logger } from "../../base/log.ts";
import type { PaymentEngine, RefundResult } from "../engine-api.ts";
import type { InvoiceIssuer } from "../invoice-service/issuer.ts";
import type { RefundGuard } from "./refund-guard.ts";

export interface RefundRequest {
  readonly ersReference: string;
  readonly amountMinor: number;
  readonly point?: number;
  readonly force?: boolean;
}

export interface RefundDesk {
  readonly engine: () => PaymentEngine;
  readonly issuer?: InvoiceIssuer;
  readonly guard: RefundGuard;
  readonly logger: Logger;
}

export async function checkedRefund(d: RefundDesk, req: RefundRequest): Promise<RefundResult> {
  // Copied from a receipt or a terminal, a reference may carry blanks around it; never inside.
  const ersReference = req.ersReference.trim();
  if (!/^[\x21-\x7e]{1,64}$/.test(ersReference)) {
    throw new AgentError("INPUT_INVALID", `ersReference: ${JSON.stringify(req.ersReference.slice(0, 70))} is not a payment reference (printable characters, no spaces)`, { ersReference: req.ersReference.slice(0, 70) });
  }
  const payment = await paymentOf(d, ersReference);
  const point = req.point ?? payment?.point;
  if (!payment) {
    if (!req.force) {
      throw new AgentError(
        "NOT_FOUND",
        `no payment ${ersReference} is known to this agent (no receipt in the journal, no Invoice Service payment): check the reference; if it is right (older than the journal keeps, or taken elsewhere), run again with --force${point === undefined ? " --point N" : ""}`,
        { ersReference },
      );
    }
    if (point === undefined) throw new AgentError("INPUT_INVALID", `a forced refund of ${ersReference} needs --point (the terminal to refund through)`, { ersReference });
    d.logger.warn("refund-forced", { ersReference, amountMinor: req.amountMinor, point, reason: "no record of the payment: sent as forced by the technician" });
    return d.guard.unchecked({ ersReference, amountMinor: req.amountMinor }, () => d.engine().startRefund({ point, ersReference, amountMinor: req.amountMinor }));
  }
  if (point === undefined) throw new AgentError("INPUT_INVALID", `${ersReference} is an Invoice Service payment: give --point (the terminal to refund through)`, { ersReference });
  const start = () => d.engine().startRefund({ point, ersReference, amountMinor: req.amountMinor });
  return d.guard.refund({ ersReference, amountMinor: req.amountMinor, paidMinor: payment.amountMinor, currency: payment.currency }, start);
}

/**
 * The payment a refund refunds: its receipt in the journal, else the Invoice Service payment, else
 * a payment an alarm told as paid with nothing released for it (a late invoice of a lost send:
 * no receipt, review 7 #3) — the alarm's `ctl refund ERS AMOUNT` works as printed.
 */
async function paymentOf(d: RefundDesk, ersReference: string): Promise<{ amountMinor: number; currency: string; point?: number } | undefined> {
  const receipt = await d.engine().receiptOf(ersReference);
  if (receipt) return { amountMinor: receipt.content.amountMinor, currency: receipt.content.currency, point: receipt.content.point };
  const invoice = await d.issuer?.paymentByErsReference(ersReference);
  if (invoice) return { amountMinor: invoice.amountMinor, currency: invoice.currency };
  return d.guard.unclaimedPayment(ersReference);
}
