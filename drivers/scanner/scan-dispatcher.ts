// The part every scanner shares: parse each read, fan scans and status changes out to listeners,
// count rejections. Listener exceptions are logged and contained: one bad subscriber must not
// stop the scanner (or the HID read loop that called us).
import type { Logger } from "../../base/log.ts";
import type { Scan, ScannerCounters, ScannerStatus, ScanRejection } from "../../contracts/scanner.ts";
import type { ScanParserOptions } from "./scan-parser.ts";
import { DEFAULT_SCAN_PARSER_OPTIONS, parseScan } from "./scan-parser.ts";

export class ScanDispatcher {
  private readonly scanListeners = new Set<(scan: Scan) => void>();
  private readonly statusListeners = new Set<(status: ScannerStatus) => void>();
  private status: ScannerStatus = "disconnected";
  private scans = 0;
  private readonly rejected: Record<ScanRejection, number> = { empty: 0, "control-character": 0, "too-long": 0, "bad-report": 0 };

  constructor(
    private readonly log: Logger,
    private readonly parserOptions: ScanParserOptions = DEFAULT_SCAN_PARSER_OPTIONS,
  ) {}

  onScan(listener: (scan: Scan) => void): () => void {
    this.scanListeners.add(listener);
    return () => this.scanListeners.delete(listener);
  }

  onStatus(listener: (status: ScannerStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  counters(): ScannerCounters {
    return { scans: this.scans, rejected: { ...this.rejected } };
  }

  get currentStatus(): ScannerStatus {
    return this.status;
  }

  /** One complete read (a terminated line, a finished HID message). */
  deliver(text: string): void {
    const result = parseScan(text, this.parserOptions);
    if (result.kind === "rejected") {
      this.reject(result.reason, { length: text.length });
      return;
    }
    this.scans += 1;
    this.log.info("scan", { kind: result.scan.kind });
    for (const listener of [...this.scanListeners]) this.call(() => listener(result.scan));
  }

  /** A report or read that could not even become text. */
  reject(reason: ScanRejection, fields: Record<string, unknown> = {}): void {
    this.rejected[reason] += 1;
    this.log.warn("scan_rejected", { reason, ...fields });
  }

  setStatus(status: ScannerStatus): void {
    if (status === this.status) return;
    this.status = status;
    this.log.info("scanner_status", { status });
    for (const listener of [...this.statusListeners]) this.call(() => listener(status));
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.log.error("scanner_listener_failed", { error });
    }
  }
}
