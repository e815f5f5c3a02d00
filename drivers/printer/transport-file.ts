// Receipts appended to a file: for kiosks that hand printing to another program (CUPS raw queue,
// a spooler watching the file) and for the simulator's file sink. Write-only: status "unknown".
// Each receipt is fdatasynced before the write resolves: the journal then records it printed,
// and a power cut must not take back what it recorded.
import { appendFileDurably } from "../../base/io/durable-file.ts";
import { DEFAULT_FILE_ROTATION, type RotationPolicy, rotateBeforeAppend } from "../../base/io/rotation.ts";
import type { PrinterTransport } from "./transport.ts";
import { transportDisconnected, withTimeout, transportTimeout } from "./transport.ts";

export { DEFAULT_FILE_ROTATION };

export class FilePrinterTransport implements PrinterTransport {
  readonly description: string;

  /** Rotation by size (default 10 MiB, 5 old files kept): a spool nobody empties must not fill the disk. */
  constructor(
    private readonly path: string,
    private readonly rotation: RotationPolicy = DEFAULT_FILE_ROTATION,
  ) {
    this.description = `file ${path}`;
  }

  write(bytes: Buffer, timeoutMs: number): Promise<void> {
    return withTimeout(timeoutMs, () => transportTimeout(this.description, "append", timeoutMs), async () => {
      try {
        await rotateBeforeAppend(this.path, bytes.length, this.rotation);
        await appendFileDurably(this.path, bytes);
      } catch (error) {
        const e = error as NodeJS.ErrnoException;
        // The unit's ProtectSystem=strict makes everything outside its own directories read-only.
        const hint = e.code === "EROFS" ? Object.assign(new Error(`${e.message} (read-only under the systemd unit: add ReadWritePaths= for its directory, see glase-agent config unit-dropin)`), { code: e.code }) : e;
        throw transportDisconnected(this.description, hint);
      }
    });
  }

  async close(): Promise<void> {
    // Each receipt is a self-contained append.
  }
}
