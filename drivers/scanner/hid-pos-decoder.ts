// HID POS scanners (usage page 0x8C, "Bar Code Scanner"): the decoded barcode arrives in input
// reports of the Scanned Data Report. The byte layout is the one Honeywell and Zebra devices use
// in HID POS mode (64-byte report, report ID 2):
//
//   [0]      report ID 0x02
//   [1]      number of valid data bytes in this report (0…56)
//   [2..4]   symbology identifier (AIM ']Cm' or vendor code; not needed to classify the scan)
//   [5..60]  decoded data, padded with zeros
//   [61..62] reserved / vendor symbology bytes
//   [63]     bit 0 set: "decoded data continued" — more reports of the same barcode follow
//
// Codes longer than 56 bytes (an invoice QR with its JWT) span several reports. Pure and stateful.

export type PosReportResult =
  | { readonly kind: "none" }
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "bad-report"; readonly why: string };

export const POS_REPORT_ID = 0x02;
export const POS_REPORT_LENGTH = 64;
export const POS_DATA_OFFSET = 5;
export const POS_DATA_CAPACITY = 56;
const CONTINUED_FLAG_OFFSET = 63;

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** QR payloads are UTF-8 when they are not ASCII; anything else is kept byte-for-byte (Latin-1). */
function bytesToText(bytes: Buffer): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    return bytes.toString("latin1");
  }
}

export class PosReportDecoder {
  private parts: Buffer[] = [];
  private collected = 0;

  /** @param maxLength a barcode growing past this is dropped (and reported) instead of buffered forever. */
  constructor(private readonly maxLength: number) {}

  feed(report: Uint8Array): PosReportResult {
    if (report.length !== POS_REPORT_LENGTH) return this.bad(`length ${report.length}, expected ${POS_REPORT_LENGTH}`);
    // Other reports of the page (status, trigger feedback) are not barcode data; ignore them.
    if (report[0] !== POS_REPORT_ID) return { kind: "none" };
    const length = report[1]!;
    if (length > POS_DATA_CAPACITY) return this.bad(`data length ${length} exceeds ${POS_DATA_CAPACITY}`);
    this.collected += length;
    if (this.collected > this.maxLength) return this.bad(`barcode longer than ${this.maxLength} bytes`);
    this.parts.push(Buffer.from(report.subarray(POS_DATA_OFFSET, POS_DATA_OFFSET + length)));
    if ((report[CONTINUED_FLAG_OFFSET]! & 0x01) !== 0) return { kind: "none" };
    const text = bytesToText(Buffer.concat(this.parts));
    this.reset();
    return { kind: "text", text };
  }

  /** A malformed report spoils the barcode it belongs to: drop what was collected. */
  private bad(why: string): PosReportResult {
    this.reset();
    return { kind: "bad-report", why };
  }

  private reset(): void {
    this.parts = [];
    this.collected = 0;
  }
}
