// Identifier shapes of contract §4.12, stamped with simulator-clock time (UTC digits):
// invoiceReference = yyyyMMdd + 9-digit counter; ersReference / transactionPeriodId =
// yyyyMMddHHmmssSSS + 8 digits (node 01 + 6-digit sequence); terminalId = 32 lowercase hex.
import { randomBytes } from "node:crypto";
import type { Clock } from "../../base/clock.ts";

function stamp(ms: number, withTime: boolean): string {
  const d = new Date(ms);
  const p = (v: number, w = 2) => v.toString().padStart(w, "0");
  const date = `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}`;
  return withTime ? `${date}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}${p(d.getUTCMilliseconds(), 3)}` : date;
}

export class IdGenerator {
  private invoiceSeq = 0;
  private txSeq = 0;

  constructor(private readonly clock: Clock) {}

  invoiceReference(): string {
    this.invoiceSeq = (this.invoiceSeq + 1) % 1e9;
    return stamp(this.clock.now(), false) + this.invoiceSeq.toString().padStart(9, "0");
  }

  /** ersReference, paymentReference and transactionPeriodId share this shape. */
  transactionReference(): string {
    this.txSeq = (this.txSeq + 1) % 1e6;
    return stamp(this.clock.now(), true) + "01" + this.txSeq.toString().padStart(6, "0");
  }

  terminalId(): string {
    return randomBytes(16).toString("hex");
  }

  /** The customer's phone ("payer terminal"). */
  payerTerminalId(): string {
    return randomBytes(16).toString("hex");
  }
}
