// Serial barcode scanners (RS-232, or USB in CDC-ACM mode → /dev/ttyACM0): one read per line,
// split by ReadlineParser. When the port closes (USB unplugged) the status goes "disconnected" and
// the path is polled until it opens again.
import { ReadlineParser } from "@serialport/parser-readline";
import { SerialPort } from "serialport";
import type { Logger } from "../../base/log.ts";
import { createLogger } from "../../base/log.ts";
import { watchPresence } from "../serial-presence.ts";
import { DispatchingScanner } from "./dispatching-scanner.ts";
import { ScanDispatcher } from "./scan-dispatcher.ts";
import type { ScanParserOptions } from "./scan-parser.ts";
import { DEFAULT_SCAN_PARSER_OPTIONS } from "./scan-parser.ts";

export interface SerialScannerOptions {
  readonly path: string;
  readonly baudRate: number;
  /**
   * The scanner's suffix. "\r" (default, the usual factory setting) also handles CR LF, since a
   * leading LF is stripped from each read; LF-only scanners need "\n".
   */
  readonly terminator?: "\r" | "\n" | "\r\n";
  readonly pollIntervalMs?: number;
  readonly parser?: ScanParserOptions;
  readonly logger?: Logger;
}

export class SerialBarcodeScanner extends DispatchingScanner {
  private readonly log: Logger;
  private readonly terminator: Buffer;
  private readonly maxLength: number;
  private port: SerialPort | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastOpenError: string | undefined;

  /** Starts opening the port at once; listen to onStatus for "connected". */
  constructor(private readonly options: SerialScannerOptions) {
    const log = options.logger ?? createLogger("scanner.serial");
    super(new ScanDispatcher(log, options.parser));
    this.log = log;
    this.terminator = Buffer.from(options.terminator ?? "\r", "latin1");
    this.maxLength = (options.parser ?? DEFAULT_SCAN_PARSER_OPTIONS).maxLength;
    this.open();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    this.dispatcher.setStatus("disconnected");
  }

  private open(): void {
    this.retryTimer = undefined;
    if (this.closed) return;
    const port = new SerialPort({ path: this.options.path, baudRate: this.options.baudRate, autoOpen: false });
    port.open((error) => {
      if (error) {
        if (error.message !== this.lastOpenError) this.log.warn("scanner_open_failed", { path: this.options.path, error });
        this.lastOpenError = error.message;
        this.retryLater();
        return;
      }
      if (this.closed) {
        port.close();
        return;
      }
      this.lastOpenError = undefined;
      this.attach(port);
    });
  }

  private attach(port: SerialPort): void {
    this.port = port;
    // ReadlineParser buffers without limit until a terminator: a scanner spewing noise without CR
    // would grow it forever. Track the unterminated tail; past maxLength, count the read as too
    // long, start a fresh parser and drop its first line (the rest of the runaway read).
    let discardNext = false;
    const onLine = (line: string): void => {
      if (discardNext) discardNext = false;
      else this.dispatcher.deliver(line);
    };
    let parser = this.newParser(port, onLine);
    let unterminated = 0;
    port.on("data", (chunk: Buffer) => {
      const last = chunk.lastIndexOf(this.terminator);
      unterminated = last < 0 ? unterminated + chunk.length : chunk.length - last - this.terminator.length;
      if (unterminated > this.maxLength) {
        port.unpipe(parser);
        parser.destroy();
        parser = this.newParser(port, onLine);
        unterminated = 0;
        if (!discardNext) this.dispatcher.reject("too-long", { path: this.options.path });
        discardNext = true;
      }
    });
    port.on("error", (error) => this.log.warn("scanner_port_error", { path: this.options.path, error }));
    // An unplugged USB scanner makes the read fail and serialport closes the port, but a tty
    // whose other side vanished just reads end-of-file forever: watch the device node too.
    const presence = watchPresence(this.options.path, this.options.pollIntervalMs ?? 1000, () => {
      if (port.isOpen) port.close();
    });
    port.on("close", () => {
      presence.stop();
      if (this.port !== port) return;
      this.port = undefined;
      this.log.warn("scanner_lost", { path: this.options.path });
      this.dispatcher.setStatus("disconnected");
      this.retryLater();
    });
    this.dispatcher.setStatus("connected");
  }

  private newParser(port: SerialPort, onLine: (line: string) => void): ReadlineParser {
    const parser = port.pipe(new ReadlineParser({ delimiter: this.terminator, encoding: "utf8" }));
    parser.on("data", onLine);
    return parser;
  }

  private retryLater(): void {
    if (!this.closed) this.retryTimer = setTimeout(() => this.open(), this.options.pollIntervalMs ?? 1000);
  }
}
