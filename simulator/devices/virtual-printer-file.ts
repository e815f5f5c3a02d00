// File sink of the virtual printer: decodes the ESC/POS a FilePrinterTransport appended to a file
// (or a device-transport FIFO captured to a file) back into receipts, picking up where it left off.
import { open } from "node:fs/promises";
import type { DecodedReceipt } from "./virtual-printer-decoder.ts";
import { EscPosDecoder } from "./virtual-printer-decoder.ts";

export class PrintFileReader {
  private readonly decoder = new EscPosDecoder();
  private offset = 0;

  constructor(private readonly path: string) {}

  /** Receipts cut since the previous call; a missing file means nothing printed yet. */
  async readNew(): Promise<DecodedReceipt[]> {
    const handle = await open(this.path, "r").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
    if (handle === undefined) return [];
    try {
      const { size } = await handle.stat();
      if (size <= this.offset) return [];
      const chunk = Buffer.alloc(size - this.offset);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, this.offset);
      this.offset += bytesRead;
      return this.decoder.feed(chunk.subarray(0, bytesRead)).flatMap((event) => (event.kind === "receipt" ? [event.receipt] : []));
    } finally {
      await handle.close();
    }
  }

  get skippedCommands(): number {
    return this.decoder.skipped;
  }
}
