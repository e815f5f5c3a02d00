// HID barcode scanner with hot-plug. The device object is injected through `open` (node-hid in
// production, see node-hid-device.ts; a fake that replays recorded reports in tests). When the
// device errors — node-hid's read fails as the scanner is unplugged — it is closed, the status goes
// "disconnected", and `open` is polled until the scanner is back.
import type { Logger } from "../../base/log.ts";
import { createLogger } from "../../base/log.ts";
import { DispatchingScanner } from "./dispatching-scanner.ts";
import { KeyboardReportDecoder } from "./hid-keyboard-decoder.ts";
import { PosReportDecoder } from "./hid-pos-decoder.ts";
import { ScanDispatcher } from "./scan-dispatcher.ts";
import type { ScanParserOptions } from "./scan-parser.ts";
import { DEFAULT_SCAN_PARSER_OPTIONS } from "./scan-parser.ts";

/** The part of a node-hid HIDAsync device the scanner uses. */
export interface HidDeviceLike {
  on(event: "data", listener: (report: Buffer) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  close(): void | Promise<void>;
}

/** "keyboard": boot-keyboard emulation reports; "hid-pos": usage page 0x8C scanned-data reports. */
export type HidReportFormat = "keyboard" | "hid-pos";

export interface HidScannerOptions {
  readonly format: HidReportFormat;
  /** Opens the scanner; resolves undefined (or rejects) while it is not plugged in. */
  readonly open: () => Promise<HidDeviceLike | undefined>;
  /** How often to look for the scanner while it is absent. */
  readonly pollIntervalMs?: number;
  readonly parser?: ScanParserOptions;
  readonly logger?: Logger;
}

interface ReportDecoder {
  feed(report: Uint8Array): { readonly kind: "none" } | { readonly kind: "text"; readonly text: string } | { readonly kind: "bad-report"; readonly why: string };
}

export class HidBarcodeScanner extends DispatchingScanner {
  private readonly log: Logger;
  private readonly pollIntervalMs: number;
  private readonly maxLength: number;
  private device: HidDeviceLike | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastOpenError: string | undefined;

  /** Starts looking for the scanner at once; listen to onStatus for "connected". */
  constructor(private readonly options: HidScannerOptions) {
    const log = options.logger ?? createLogger("scanner.hid");
    super(new ScanDispatcher(log, options.parser));
    this.log = log;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.maxLength = (options.parser ?? DEFAULT_SCAN_PARSER_OPTIONS).maxLength;
    void this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.release();
    this.dispatcher.setStatus("disconnected");
  }

  private async connect(): Promise<void> {
    this.retryTimer = undefined;
    if (this.closed) return;
    let device: HidDeviceLike | undefined;
    try {
      device = await this.options.open();
    } catch (error) {
      // Log each distinct reason once, not every poll (libusb missing would flood the log).
      const why = error instanceof Error ? error.message : String(error);
      if (why !== this.lastOpenError) this.log.warn("scanner_open_failed", { error });
      this.lastOpenError = why;
    }
    if (this.closed) {
      await device?.close();
      return;
    }
    if (device === undefined) {
      this.retryTimer = setTimeout(() => void this.connect(), this.pollIntervalMs);
      return;
    }
    this.lastOpenError = undefined;
    this.attach(device);
  }

  private attach(device: HidDeviceLike): void {
    this.device = device;
    // A fresh decoder per connection: half a barcode from before the unplug must not prefix the next.
    const decoder: ReportDecoder = this.options.format === "keyboard" ? new KeyboardReportDecoder(this.maxLength) : new PosReportDecoder(this.maxLength);
    device.on("data", (report) => {
      if (this.device !== device) return;
      const result = decoder.feed(report);
      if (result.kind === "text") this.dispatcher.deliver(result.text);
      else if (result.kind === "bad-report") this.dispatcher.reject("bad-report", { why: result.why });
    });
    device.on("error", (error) => {
      if (this.device !== device) return;
      this.log.warn("scanner_lost", { error });
      void this.release().then(() => {
        this.dispatcher.setStatus("disconnected");
        if (!this.closed) this.retryTimer = setTimeout(() => void this.connect(), this.pollIntervalMs);
      });
    });
    this.dispatcher.setStatus("connected");
  }

  private async release(): Promise<void> {
    const device = this.device;
    this.device = undefined;
    if (device === undefined) return;
    try {
      await device.close();
    } catch {
      // Closing a device that is already gone fails; it is gone either way.
    }
  }
}
