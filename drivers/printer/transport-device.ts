// USB printers through the kernel's usblp character device (/dev/usb/lp0). Node cannot issue the
// LPGETSTATUS ioctl, so this transport is write-only and status is "unknown".
//
// The device is opened per receipt and closed after: the node disappears on unplug, and a held
// descriptor would keep pointing at the dead one. It is opened O_NONBLOCK so that a missing
// reader (a FIFO in tests) or a missing device fails at once instead of blocking a libuv thread
// forever; writes that meet a full buffer (EAGAIN) are retried until the deadline.
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import type { PrinterTransport } from "./transport.ts";
import { transportDisconnected, transportTimeout } from "./transport.ts";

const RETRY_MS = 20;

export class DevicePrinterTransport implements PrinterTransport {
  readonly description: string;

  constructor(private readonly path: string) {
    this.description = `device ${path}`;
  }

  async write(bytes: Buffer, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let handle: FileHandle;
    try {
      handle = await open(this.path, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    } catch (error) {
      throw transportDisconnected(this.description, error as Error);
    }
    try {
      let offset = 0;
      while (offset < bytes.length) {
        try {
          const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
          offset += bytesWritten;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw transportDisconnected(this.description, error as Error);
          if (Date.now() >= deadline) throw transportTimeout(this.description, "write", timeoutMs);
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        }
      }
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    // Nothing held between receipts.
  }
}
