// ESC/POS encoding of a laid-out receipt with the `escpos` core.
//
// How the core is used, and where it is not:
// - The core's Printer needs an adapter and only hands bytes out through adapter.write() on
//   flush(); we pass a minimal adapter that collects them, so the result is a plain Buffer and the
//   transports stay ours (serial, TCP, character device, file).
// - Text, alignment, character size, code table, feed and cut come from the core.
// - Bold uses the core's command table rather than Printer.style("B"): style() also emits ESC 4 /
//   ESC 5 (Star-mode italic), which Epson-compatible printers do not define.
// - The QR code is written raw with the native GS ( k sequence: the core's qrcode() emits the
//   Bixolon-style GS Z / ESC Z command for generic printers, and its "qsprinter" GS ( k variant
//   adds a vendor pixel-size command; qrimage() rasterises through image libraries we do not want.
import escpos from "escpos";
import { AgentError } from "../../base/errors.ts";
import type { PaperWidth, ReceiptLine } from "./receipt-layout.ts";
import { COLUMNS } from "./receipt-layout.ts";

/** ESC t 19 selects PC858 (Latin-1 + €) — covers Nordic station names (Å, Ä, Ö, Ø) and €. */
export const CODE_TABLE = { escposNumber: 19, iconvName: "cp858" } as const;

/** QR module size in dots: keeps a ~300-character invoice URL within 384 dots (58 mm) or 576 (80 mm). */
const QR_MODULE_DOTS: Readonly<Record<PaperWidth, number>> = { 58: 4, 80: 6 };
const QR_ERROR_LEVEL_M = 0x31;

/** GS ( k <pL> <pH> <cn=0x31 QR> <fn> <params…> — one function of the 2D-symbol command. */
function gsParenK(fn: number, params: Buffer): Buffer {
  const length = params.length + 2;
  return Buffer.concat([Buffer.from([0x1d, 0x28, 0x6b, length & 0xff, length >> 8, 0x31, fn]), params]);
}

/** Model 2, module size, error level M, store the payload (fn 80), print it (fn 81). */
export function qrCommands(payload: string, width: PaperWidth): Buffer {
  return Buffer.concat([
    gsParenK(0x41, Buffer.from([0x32, 0x00])),
    gsParenK(0x43, Buffer.from([QR_MODULE_DOTS[width]])),
    gsParenK(0x45, Buffer.from([QR_ERROR_LEVEL_M])),
    gsParenK(0x50, Buffer.concat([Buffer.from([0x30]), Buffer.from(payload, "ascii")])),
    gsParenK(0x51, Buffer.from([0x30])),
  ]);
}

const ALIGN = { left: "lt", center: "ct", right: "rt" } as const;

/** Encodes the receipt lines into the ESC/POS byte stream a printer (or the virtual printer) takes. */
export function encodeReceipt(lines: readonly ReceiptLine[], width: PaperWidth): Buffer {
  const chunks: Buffer[] = [];
  const collector = {
    write(data: Buffer, callback?: (error?: Error | null) => void): void {
      chunks.push(Buffer.from(data));
      callback?.(null);
    },
    close(callback?: (error?: Error | null) => void): void {
      callback?.(null);
    },
    read(): void {
      // The collector never reads back: status queries go through our transports.
    },
  };
  const printer = new escpos.Printer(collector, { encoding: CODE_TABLE.iconvName, width: COLUMNS[width] });
  const { TXT_BOLD_ON, TXT_BOLD_OFF } = escpos.command.TEXT_FORMAT;

  printer.hardware("init").setCharacterCodeTable(CODE_TABLE.escposNumber);
  for (const line of lines) {
    switch (line.kind) {
      case "text":
        printer.align(ALIGN[line.align]);
        if (line.bold) printer.print(TXT_BOLD_ON);
        if (line.tall) printer.size(0, 1);
        printer.text(line.text);
        if (line.tall) printer.size(0, 0);
        if (line.bold) printer.print(TXT_BOLD_OFF);
        break;
      case "rule":
        printer.align("lt").text("-".repeat(COLUMNS[width]));
        break;
      case "qr":
        printer.align("ct").raw(qrCommands(line.payload, width)).feed(1);
        break;
      case "feed":
        printer.feed(line.lines);
        break;
      case "cut":
        printer.align("lt").cut(false, 4);
        break;
      default: {
        const never: never = line;
        throw new AgentError("INTERNAL", "unhandled receipt line kind", { line: never });
      }
    }
  }
  printer.flush();
  return Buffer.concat(chunks);
}
