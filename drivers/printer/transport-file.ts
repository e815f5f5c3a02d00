// Receipts appended to a file: for kiosks that hand printing to another program (CUPS raw queue,
// a spooler watching the file) and for the simulator's file sink. Write-only: status "unknown".
// Each receipt is fdatasynced before the write resolves: the journal then records it printed,
// and a power cut must not take back what it recorded.
import { appendFileDurably } from "../../agent/durable-file.ts";
import type { PrinterTransport } from "./transport.ts";
import { transportDisconnected, withTimeout, transportTimeout } from "./transport.ts";

export class FilePrinterTransport implements PrinterTransport {
  readonly description: string;

  constructor(private readonly path: string) {
    this.description = `file ${path}`;
  }

  write(bytes: Buffer, timeoutMs: number): Promise<void> {
    return withTimeout(timeoutMs, () => transportTimeout(this.description, "append", timeoutMs), async () => {
      try {
        await appendFileDurably(this.path, bytes);
      } catch (error) {
        throw transportDisconnected(this.description, error as Error);
      }
    });
  }

  async close(): Promise<void> {
    // Each receipt is a self-contained append.
  }
}
