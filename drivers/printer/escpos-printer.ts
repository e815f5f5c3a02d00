// ReceiptPrinter over ESC/POS: layout → escpos encoding → our transport.
// A payment never waits on paper: every failure (paper out, cover open, offline, no answer, write
// stalled) rejects quickly with PRINTER_UNAVAILABLE and the flow keeps the receipt in its journal
// to reprint later. Bad receipt content rejects with INPUT_INVALID instead: a reprint won't help.
import { AgentError, isAgentError } from "../../base/errors.ts";
import type { Logger } from "../../base/log.ts";
import { createLogger } from "../../base/log.ts";
import type { PrinterHealth, ReceiptContent, ReceiptPrinter } from "../../contracts/printer.ts";
import { encodeReceipt } from "./escpos-encoder.ts";
import { decodeStatus, STATUS_QUERY, STATUS_RESPONSE_LENGTH } from "./escpos-status.ts";
import type { PaperWidth } from "./receipt-layout.ts";
import { layoutReceipt } from "./receipt-layout.ts";
import type { PrinterTransport } from "./transport.ts";
import type { StationLocale } from "../../base/i18n/format.ts";

export interface EscPosPrinterOptions {
  readonly width: PaperWidth;
  /** How long a DLE EOT answer may take; a printer that does not answer counts as offline. */
  readonly statusTimeoutMs?: number;
  /** Connect + write of one receipt. */
  readonly printTimeoutMs?: number;
  readonly logger?: Logger;
  /** Language and time zone of the receipts (default: English, the system's zone). */
  readonly station?: StationLocale;
}

const NOT_PRINTABLE: ReadonlySet<PrinterHealth> = new Set(["paper-out", "cover-open", "offline"]);

export class EscPosPrinter implements ReceiptPrinter {
  private readonly width: PaperWidth;
  private readonly statusTimeoutMs: number;
  private readonly printTimeoutMs: number;
  private readonly log: Logger;
  private readonly station: StationLocale | undefined;
  /** Jobs run one at a time: two receipts must not interleave, nor a status answer and a print. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly transport: PrinterTransport,
    options: EscPosPrinterOptions,
  ) {
    this.width = options.width;
    this.statusTimeoutMs = options.statusTimeoutMs ?? 1500;
    this.printTimeoutMs = options.printTimeoutMs ?? 5000;
    this.log = options.logger ?? createLogger("printer");
    this.station = options.station;
  }

  print(receipt: ReceiptContent): Promise<void> {
    // Layout first, outside the queue: invalid content fails at once with INPUT_INVALID.
    let bytes: Buffer;
    try {
      bytes = encodeReceipt(layoutReceipt(receipt, this.width, this.station), this.width);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.serially(async () => {
      let health: PrinterHealth;
      try {
        health = await this.queryHealth();
      } catch (error) {
        throw this.unavailable(error);
      }
      if (NOT_PRINTABLE.has(health)) {
        this.log.warn("receipt_not_printed", { printer: this.transport.description, health, ersReference: receipt.ersReference });
        throw new AgentError("PRINTER_UNAVAILABLE", `printer ${this.transport.description} is ${health}`, { printer: this.transport.description, health });
      }
      try {
        await this.transport.write(bytes, this.printTimeoutMs);
      } catch (error) {
        this.log.warn("receipt_not_printed", { printer: this.transport.description, error, ersReference: receipt.ersReference });
        throw this.unavailable(error);
      }
      this.log.info("receipt_printed", { printer: this.transport.description, bytes: bytes.length, ersReference: receipt.ersReference });
    });
  }

  status(): Promise<PrinterHealth> {
    return this.serially(() => this.queryHealth());
  }

  close(): Promise<void> {
    return this.serially(() => this.transport.close());
  }

  private async queryHealth(): Promise<PrinterHealth> {
    if (this.transport.exchange === undefined) return "unknown";
    try {
      const health = decodeStatus(await this.transport.exchange(STATUS_QUERY, STATUS_RESPONSE_LENGTH, this.statusTimeoutMs));
      if (health === "unknown") this.log.warn("printer_status_unreadable", { printer: this.transport.description });
      return health;
    } catch (error) {
      if (isAgentError(error, "DEVICE_TIMEOUT") || isAgentError(error, "DEVICE_DISCONNECTED")) return "offline";
      throw error;
    }
  }

  private unavailable(error: unknown): AgentError {
    const context = isAgentError(error) ? { printer: this.transport.description, cause: error.code, ...error.context } : { printer: this.transport.description };
    return new AgentError("PRINTER_UNAVAILABLE", `printer ${this.transport.description} did not take the receipt`, context, { cause: error });
  }

  private serially<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
