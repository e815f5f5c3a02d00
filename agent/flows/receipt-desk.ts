// Receipts: each one is journalled before it is printed (so a printer that is out of paper loses
// nothing and `reprint` can find it later), marked printed once the printer took it, and announced
// on the engine's event stream either way.
import type { ReceiptContent, ReceiptPrinter } from "../../contracts/printer.ts";
import type { StoredReceipt } from "../engine-api.ts";
import { AgentError } from "../../base/errors.ts";
import type { Journal } from "../journal/types.ts";
import type { Logger } from "../../base/log.ts";

export class ReceiptDesk {
  constructor(
    private readonly journal: Journal,
    private readonly printer: ReceiptPrinter | undefined,
    private readonly logger: Logger,
    private readonly now: () => number,
    private readonly announce: (receipt: StoredReceipt) => void,
  ) {}

  /** The receipts whose flow id or ersReference is `key` (indexed: not a scan of every receipt). */
  async matching(key: string): Promise<readonly StoredReceipt[]> {
    return (await this.journal.receiptsMatching(key)).map((r) => ({ ...r, content: r.content as ReceiptContent }));
  }

  async list(): Promise<readonly StoredReceipt[]> {
    return (await this.journal.receipts()).map((r) => ({ ...r, content: r.content as ReceiptContent }));
  }

  /** Prints a stored receipt again; `key` is its flowId or ersReference. */
  async reprint(key: string): Promise<void> {
    const r = (await this.journal.receiptsMatching(key))[0];
    if (!r) throw new AgentError("NOT_FOUND", `no receipt for ${key}`, { key });
    if (!this.printer) throw new AgentError("PRINTER_UNAVAILABLE", "no printer configured", {});
    await this.printer.print(r.content as ReceiptContent);
    await this.journal.saveReceipt({ ...r, printed: true });
  }

  /** Journals and prints a flow's receipt (`paidAt`: when its sale was PAID); resolves whether it was printed. */
  async print(flowId: string, receipt: ReceiptContent, paidAt?: number): Promise<boolean> {
    const record = { flowId, ersReference: receipt.ersReference, content: receipt, printed: false, at: this.now(), ...(paidAt !== undefined ? { paidAt } : {}) };
    await this.journal.saveReceipt(record);
    let printed = false;
    if (this.printer) {
      printed = await this.printer.print(receipt).then(
        () => true,
        (err: unknown) => (this.logger.warn("receipt_not_printed", { flowId, err }), false),
      );
      if (printed) await this.journal.saveReceipt({ ...record, printed: true });
    }
    this.announce({ ...record, printed });
    return printed;
  }
}
