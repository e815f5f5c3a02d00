// Streaming ESC/POS → text decoder for the virtual printer. It reads what a real printer would:
// text in the selected code table, LF, and the commands our encoder and common drivers send; it
// renders 2D codes as `[QR:<payload>]` and barcodes as `[BARCODE:<data>]`, reports DLE EOT status
// requests so the server can answer them, and yields one receipt per cut. Unknown commands are
// skipped and counted — arbitrary bytes never throw.
import iconv from "iconv-lite";

export interface DecodedReceipt {
  readonly lines: readonly string[];
  readonly text: string;
  readonly qrCodes: readonly string[];
  readonly barcodes: readonly string[];
}

export type DecoderEvent = { readonly kind: "receipt"; readonly receipt: DecodedReceipt } | { readonly kind: "status-request"; readonly n: number };

/** ESC t n → iconv name; tables we do not know decode as PC437 (the power-on default). */
const CODE_TABLES: Readonly<Record<number, string>> = { 0: "cp437", 2: "cp850", 16: "cp1252", 19: "cp858" };

/** Fixed-length ESC commands: second byte → total length in bytes. */
const ESC_LENGTH: Readonly<Record<number, number>> = {
  0x20: 3, 0x21: 3, 0x24: 4, 0x25: 3, 0x2d: 3, 0x32: 2, 0x33: 3, 0x3d: 3, 0x3f: 3, 0x40: 2, 0x44: 2,
  0x45: 3, 0x47: 3, 0x4a: 3, 0x4d: 3, 0x52: 3, 0x54: 3, 0x56: 3, 0x61: 3, 0x63: 4, 0x64: 3, 0x69: 2,
  0x6d: 2, 0x70: 5, 0x72: 3, 0x74: 3, 0x7b: 3,
};

/** Fixed-length GS commands (GS V, GS k, GS ( and GS v 0 are variable and handled apart). */
const GS_LENGTH: Readonly<Record<number, number>> = {
  0x21: 3, 0x42: 3, 0x48: 3, 0x49: 3, 0x4c: 4, 0x50: 4, 0x57: 4, 0x61: 3, 0x62: 3, 0x66: 3, 0x68: 3,
  0x72: 3, 0x77: 3,
};

const NEED_MORE = -1;

export class EscPosDecoder {
  private pending = Buffer.alloc(0);
  private lines: string[] = [];
  private lineText = "";
  private run: number[] = [];
  private codeTable = 0;
  private storedQr: string | undefined;
  private qrCodes: string[] = [];
  private barcodes: string[] = [];
  /** Commands and bytes skipped because they are unknown or malformed. */
  skipped = 0;

  feed(chunk: Uint8Array): DecoderEvent[] {
    const events: DecoderEvent[] = [];
    const data = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    let i = 0;
    while (i < data.length) {
      const used = this.step(data, i, events);
      if (used === NEED_MORE) break;
      i += used;
    }
    this.pending = Buffer.from(data.subarray(i));
    return events;
  }

  /** Decodes one item at `i`; returns the bytes consumed or NEED_MORE for an incomplete command. */
  private step(data: Buffer, i: number, events: DecoderEvent[]): number {
    const b = data[i]!;
    const avail = data.length - i;
    const at = (k: number): number => data[i + k]!;
    switch (b) {
      case 0x0a:
        this.endLine();
        return 1;
      case 0x0d:
        return 1;
      case 0x09:
        this.run.push(0x20);
        return 1;
      case 0x10: // DLE EOT n / DLE ENQ n: real-time commands, 3 bytes
        if (avail < 3) return NEED_MORE;
        if (at(1) === 0x04) events.push({ kind: "status-request", n: at(2) });
        else if (at(1) !== 0x05) return this.skip(1);
        return 3;
      case 0x1b:
        return this.escape(data, i, avail, events);
      case 0x1d:
        return this.groupSeparator(data, i, avail, events);
      case 0x1c: // FS: kanji mode commands, ignored
        return this.skip(2);
      default:
        if (b < 0x20 || b === 0x7f) return this.skip(1);
        this.run.push(b);
        return 1;
    }
  }

  private escape(data: Buffer, i: number, avail: number, events: DecoderEvent[]): number {
    if (avail < 2) return NEED_MORE;
    const cmd = data[i + 1]!;
    const length = ESC_LENGTH[cmd];
    if (length === undefined) return this.skip(2);
    if (avail < length) return NEED_MORE;
    const n = data[i + 2] ?? 0;
    switch (cmd) {
      case 0x40: // ESC @ initialise
        this.flushRun();
        this.codeTable = 0;
        break;
      case 0x74: // ESC t n select code table
        this.flushRun();
        this.codeTable = n;
        break;
      case 0x64: // ESC d n print and feed n lines
        this.endLine();
        for (let k = 1; k < n; k++) this.endLine();
        break;
      case 0x69: // ESC i / ESC m: partial cut (older command set)
      case 0x6d:
        this.cut(events);
        break;
      default:
        break;
    }
    return length;
  }

  private groupSeparator(data: Buffer, i: number, avail: number, events: DecoderEvent[]): number {
    if (avail < 3) return NEED_MORE;
    const cmd = data[i + 1]!;
    const m = data[i + 2]!;
    if (cmd === 0x56) {
      // GS V m (cut) or GS V m n (feed and cut)
      const length = m >= 65 ? 4 : 3;
      if (avail < length) return NEED_MORE;
      this.cut(events);
      return length;
    }
    if (cmd === 0x28) return this.gsParen(data, i, avail);
    if (cmd === 0x6b) return this.barcode(data, i, avail);
    if (cmd === 0x76) {
      // GS v 0 m xL xH yL yH d1…dk: raster image, k = x × y
      if (avail < 8) return NEED_MORE;
      const length = 8 + (data[i + 4]! + data[i + 5]! * 256) * (data[i + 6]! + data[i + 7]! * 256);
      if (avail < length) return NEED_MORE;
      this.flushRun();
      this.lineText += "[IMAGE]";
      return length;
    }
    const length = GS_LENGTH[cmd];
    if (length === undefined) return this.skip(2);
    if (avail < length) return NEED_MORE;
    return length;
  }

  /** GS ( <fn> pL pH …: QR store (cn 49, fn 80) and print (fn 81); everything else skipped. */
  private gsParen(data: Buffer, i: number, avail: number): number {
    if (avail < 5) return NEED_MORE;
    const length = 5 + data[i + 3]! + data[i + 4]! * 256;
    if (avail < length) return NEED_MORE;
    if (data[i + 2] === 0x6b && length >= 7 && data[i + 5] === 0x31) {
      const fn = data[i + 6];
      if (fn === 0x50 && length >= 8) this.storedQr = data.subarray(i + 8, i + length).toString("latin1");
      if (fn === 0x51 && this.storedQr !== undefined) {
        // A real printer prints the stored symbol on fn 81, on its own line.
        this.flushLineIfAny();
        this.lines.push(`[QR:${this.storedQr}]`);
        this.qrCodes.push(this.storedQr);
      }
    }
    return length;
  }

  /** GS k m d1…dk NUL (m 0–6) or GS k m n d1…dn (m 65–79). */
  private barcode(data: Buffer, i: number, avail: number): number {
    const m = data[i + 2]!;
    let payload: Buffer;
    let length: number;
    if (m <= 6) {
      const end = data.indexOf(0x00, i + 3);
      if (end < 0) return avail > 255 ? this.skip(3) : NEED_MORE;
      payload = data.subarray(i + 3, end);
      length = end - i + 1;
    } else {
      if (avail < 4) return NEED_MORE;
      length = 4 + data[i + 3]!;
      if (avail < length) return NEED_MORE;
      payload = data.subarray(i + 4, i + length);
    }
    // CODE128 data starts with a code-set selector ({A, {B, {C) that is not part of the content.
    const text = payload.toString("latin1").replace(/^\{[ABC]/, "");
    this.flushLineIfAny();
    this.lines.push(`[BARCODE:${text}]`);
    this.barcodes.push(text);
    return length;
  }

  private skip(bytes: number): number {
    this.skipped += 1;
    return bytes;
  }

  private flushRun(): void {
    if (this.run.length === 0) return;
    this.lineText += iconv.decode(Buffer.from(this.run), CODE_TABLES[this.codeTable] ?? "cp437");
    this.run = [];
  }

  private endLine(): void {
    this.flushRun();
    this.lines.push(this.lineText.trimEnd());
    this.lineText = "";
  }

  private flushLineIfAny(): void {
    this.flushRun();
    if (this.lineText !== "") this.endLine();
  }

  private cut(events: DecoderEvent[]): void {
    this.flushLineIfAny();
    const lines = [...this.lines];
    while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    events.push({ kind: "receipt", receipt: { lines, text: lines.join("\n"), qrCodes: this.qrCodes, barcodes: this.barcodes } });
    this.lines = [];
    this.qrCodes = [];
    this.barcodes = [];
    this.storedQr = undefined;
  }
}
