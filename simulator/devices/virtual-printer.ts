// Virtual network receipt printer: a TCP 9100 server that decodes the ESC/POS it receives back to
// text, one receipt per cut, answers DLE EOT with a configurable condition (paper out, cover open,
// offline, or no answer at all) and can write each receipt into a folder as a text file — the
// simulated station's receipts folder. The real driver and transport are what talk to it.
import net from "node:net";
import path from "node:path";
import { ensureDirectory, writeFileDurably } from "../../base/io/durable-file.ts";
import { DEFAULT_FOLDER_ROTATION, type RotationPolicy, pruneReceiptFolder } from "../../base/io/rotation.ts";
import type { Duplex } from "node:stream";
import { HEALTHY, statusByte } from "../../drivers/printer/escpos-status.ts";
import type { PrinterCondition } from "../../drivers/printer/escpos-status.ts";
import type { DecodedReceipt } from "./virtual-printer-decoder.ts";
import { EscPosDecoder } from "./virtual-printer-decoder.ts";

export interface VirtualPrinterOptions {
  readonly host?: string;
  /** 0 (default) picks a free port; 9100 is what real printers use. */
  readonly port?: number;
  /** When set, each receipt is also written there as `receipt-<time>-<seq>.txt`. */
  readonly receiptsDir?: string;
  /** The receipts folder keeps the newest files within a count and a size (default 2000 files, 50 MiB). */
  readonly rotate?: RotationPolicy;
}

export { DEFAULT_FOLDER_ROTATION };

export interface VirtualPrinterCondition extends PrinterCondition {
  /** The printer receives but never answers DLE EOT (hung firmware, one-way cable). */
  readonly mute: boolean;
}

type ReceiptListener = (receipt: DecodedReceipt) => void;

export class VirtualPrinter {
  readonly receipts: DecodedReceipt[] = [];
  /** Receipts that arrived while the printer could not print (paper out, cover open, offline). */
  lostReceipts = 0;
  /** Unknown or malformed ESC/POS commands skipped across all connections. */
  skippedCommands = 0;
  private condition: VirtualPrinterCondition = { ...HEALTHY, mute: false };
  private readonly listeners = new Set<ReceiptListener>();
  private readonly sockets = new Set<Duplex>();
  private sequence = 0;
  private delivering: Promise<void> = Promise.resolve();
  /** Receipts that could not be written to the receipts folder (the receipt itself is kept). */
  fileErrors = 0;

  private constructor(
    private readonly server: net.Server,
    private readonly receiptsDir: string | undefined,
    private readonly rotation: RotationPolicy,
  ) {}

  static async listen(options: VirtualPrinterOptions = {}): Promise<VirtualPrinter> {
    if (options.receiptsDir !== undefined) await ensureDirectory(options.receiptsDir, 0o755);
    const server = net.createServer();
    const printer = new VirtualPrinter(server, options.receiptsDir, options.rotate ?? DEFAULT_FOLDER_ROTATION);
    server.on("connection", (socket) => printer.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    return printer;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  setCondition(patch: Partial<VirtualPrinterCondition>): void {
    this.condition = { ...this.condition, ...patch };
  }

  onReceipt(listener: ReceiptListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the next receipt to be cut (event-driven: tests never sleep for it). */
  nextReceipt(timeoutMs = 10_000): Promise<DecodedReceipt> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`virtual printer: no receipt within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onReceipt((receipt) => {
        clearTimeout(timer);
        off();
        resolve(receipt);
      });
    });
  }

  /** Stops listening, drops connections, and waits until every receipt already cut is written. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.delivering;
  }

  /**
   * Serves any byte stream as a printer port: TCP connections, and the device end of a pty pair
   * (opened with serialport) when the serial transport is under test.
   */
  serve(socket: Duplex): void {
    this.sockets.add(socket);
    const decoder = new EscPosDecoder();
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk: Buffer) => {
      const before = decoder.skipped;
      for (const event of decoder.feed(chunk)) {
        if (event.kind === "status-request") {
          if (!this.condition.mute) socket.write(Buffer.from([statusByte(event.n, this.condition)]));
        } else if (this.condition.paperOut || this.condition.coverOpen || this.condition.offline) {
          this.lostReceipts += 1;
        } else {
          // In order, and listeners hear of a receipt only once its file is written.
          const receipt = event.receipt;
          this.delivering = this.delivering.then(() => this.deliver(receipt));
        }
      }
      this.skippedCommands += decoder.skipped - before;
    });
  }

  private async deliver(receipt: DecodedReceipt): Promise<void> {
    this.sequence += 1;
    if (this.receiptsDir !== undefined) {
      const stamp = new Date().toISOString().replace(/[:.]/g, "-");
      const file = path.join(this.receiptsDir, `receipt-${stamp}-${String(this.sequence).padStart(4, "0")}.txt`);
      // Like paper in the tray: a receipt "printed" is still there after a power cut.
      await writeFileDurably(file, `${receipt.text}\n`, { mode: 0o644, dirMode: 0o755 }).catch(() => {
        this.fileErrors += 1;
      });
      await pruneReceiptFolder(this.receiptsDir, this.rotation).catch(() => {
        this.fileErrors += 1;
      });
    }
    // Counted once its file is there: whoever saw N receipts finds N files.
    this.receipts.push(receipt);
    for (const listener of [...this.listeners]) listener(receipt);
  }
}
