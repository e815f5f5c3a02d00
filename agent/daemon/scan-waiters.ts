// `ctl scan-next` / `ctl scan`: a technician waits for the next scan of the station's scanner (to
// check it reads), or injects one into the virtual scanner. Every waiter gets the scan's text.
import { AgentError } from "../../base/errors.ts";
import type { BarcodeScanner as Scanner } from "../../contracts/scanner.ts";

export class ScanWaiters {
  private readonly waiters = new Set<(text: string) => void>();

  constructor(private readonly scanner: Scanner | undefined) {
    scanner?.onScan((scan) => {
      const text = scan.kind === "glase-id" ? scan.seqrId : scan.kind === "invoice-qr" ? scan.url : scan.text;
      for (const w of this.waiters) w(text);
    });
  }

  next(timeoutMs: number): Promise<string> {
    if (!this.scanner) return Promise.reject(new AgentError("CONFLICT", "no scanner configured"));
    return new Promise((resolve, reject) => {
      const done = (text: string) => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(text);
      };
      const timer = setTimeout(() => (this.waiters.delete(done), reject(new AgentError("ABORTED", `no scan within ${timeoutMs} ms`))), timeoutMs);
      this.waiters.add(done);
    });
  }
}
