// Barcode scanner as the agent sees it. Implementations (drivers/scanner/): HID scanners through
// node-hid (HID POS reports or keyboard emulation), serial scanners (CDC-ACM, line-terminated),
// and a virtual scanner (simulator/devices/virtual-scanner.ts) for tests and the technician CLI.
// What was scanned arrives already classified, so callers switch on `kind` exhaustively.

export type Scan =
  /**
   * A Glase ID sticker (contract §3.2, §6.12): its Code 128 number, or its QR
   * `HTTP://<glase host>/Q<seqrId>`. Used to bind the sticker to this terminal (assignSeqrId).
   */
  | { readonly kind: "glase-id"; readonly seqrId: string; readonly from: "code128" | "sticker-qr" }
  /** An Invoice Service QR `HTTP://<glase host>/000/invoice?j=<JWT>` (contract §7.4); JWT not verified here. */
  | { readonly kind: "invoice-qr"; readonly url: string; readonly jwt: string }
  /** Anything else that was readable text. */
  | { readonly kind: "other"; readonly text: string };

export type ScannerStatus = "connected" | "disconnected";

/** Why a read never became a Scan (counted, logged, never thrown). */
export type ScanRejection = "empty" | "control-character" | "too-long" | "bad-report";

export interface ScannerCounters {
  readonly scans: number;
  readonly rejected: Readonly<Record<ScanRejection, number>>;
}

export interface BarcodeScanner {
  /** Returns an unsubscribe function. */
  onScan(listener: (scan: Scan) => void): () => void;
  /** Hot-plug: "disconnected" when the device goes away, "connected" when it is (re)opened. */
  onStatus(listener: (status: ScannerStatus) => void): () => void;
  counters(): ScannerCounters;
  close(): Promise<void>;
}
