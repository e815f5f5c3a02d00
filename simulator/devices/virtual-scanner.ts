// Virtual barcode scanner: scans are injected as text (from tests and the technician CLI) and go
// through the same parser and dispatcher as a real scanner's reads, so a virtual scan of a Glase
// ID sticker arrives exactly as a real one would.
import type { Logger } from "../../base/log.ts";
import { createLogger } from "../../base/log.ts";
import { DispatchingScanner } from "../../drivers/scanner/dispatching-scanner.ts";
import { ScanDispatcher } from "../../drivers/scanner/scan-dispatcher.ts";
import type { ScanParserOptions } from "../../drivers/scanner/scan-parser.ts";

export class VirtualScanner extends DispatchingScanner {

  constructor(options: { readonly parser?: ScanParserOptions; readonly logger?: Logger } = {}) {
    super(new ScanDispatcher(options.logger ?? createLogger("scanner.virtual"), options.parser));
    this.dispatcher.setStatus("connected");
  }

  /** One read, as the scanner would deliver it (a terminator is optional). Ignored while unplugged. */
  inject(text: string): void {
    if (this.dispatcher.currentStatus === "connected") this.dispatcher.deliver(text);
  }

  /** Simulates unplugging (false) and plugging back in (true). */
  setConnected(connected: boolean): void {
    this.dispatcher.setStatus(connected ? "connected" : "disconnected");
  }

  async close(): Promise<void> {
    this.dispatcher.setStatus("disconnected");
  }
}
