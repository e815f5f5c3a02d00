// The listener side of the BarcodeScanner contract, identical for every scanner (HID, serial,
// virtual): subscriptions and counters are the ScanDispatcher's, so a scanner only says how reads
// arrive and how it closes.
import type { BarcodeScanner, Scan, ScannerCounters, ScannerStatus } from "../../contracts/scanner.ts";
import type { ScanDispatcher } from "./scan-dispatcher.ts";

export abstract class DispatchingScanner implements BarcodeScanner {
  protected constructor(protected readonly dispatcher: ScanDispatcher) {}

  onScan(listener: (scan: Scan) => void): () => void {
    return this.dispatcher.onScan(listener);
  }

  onStatus(listener: (status: ScannerStatus) => void): () => void {
    return this.dispatcher.onStatus(listener);
  }

  counters(): ScannerCounters {
    return this.dispatcher.counters();
  }

  abstract close(): Promise<void>;
}
