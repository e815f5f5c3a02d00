// Pins the ESC/POS byte stream: any change in layout or encoding shows up as a reviewed diff of
// the golden hex dumps. Regenerate deliberately with UPDATE_GOLDEN=1.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { encodeReceipt } from "../../../drivers/printer/escpos-encoder.ts";
import { layoutReceipt } from "../../../drivers/printer/receipt-layout.ts";
import type { PaperWidth } from "../../../drivers/printer/receipt-layout.ts";
import { EscPosDecoder } from "../../../simulator/devices/virtual-printer-decoder.ts";
import { FUEL_RECEIPT, FUEL_RECEIPT_TIME, GOLDEN_STATION, INVOICE_QR } from "./sample-receipt.ts";

const GOLDEN_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "golden");

/** 32 bytes per line so a diff points at the region that changed. */
function hexDump(bytes: Buffer): string {
  const rows: string[] = [];
  for (let i = 0; i < bytes.length; i += 32) rows.push(bytes.subarray(i, i + 32).toString("hex"));
  return `${rows.join("\n")}\n`;
}

describe("golden ESC/POS byte stream", () => {
  for (const width of [58, 80] as PaperWidth[]) {
    it(`matches golden/fuel-receipt-${width}mm.hex`, () => {
      const bytes = encodeReceipt(layoutReceipt({ ...FUEL_RECEIPT, qr: INVOICE_QR }, width, GOLDEN_STATION), width);
      const file = path.join(GOLDEN_DIR, `fuel-receipt-${width}mm.hex`);
      if (process.env.UPDATE_GOLDEN === "1") writeFileSync(file, hexDump(bytes));
      expect(existsSync(file), `${file} missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
      expect(hexDump(bytes)).toBe(readFileSync(file, "utf8"));
    });
  }

  it("starts with ESC @ and code page 858, stores and prints the QR with GS ( k, ends with a full cut", () => {
    const bytes = encodeReceipt(layoutReceipt({ ...FUEL_RECEIPT, qr: INVOICE_QR }, 58, GOLDEN_STATION), 58);
    expect(bytes.subarray(0, 5)).toEqual(Buffer.from([0x1b, 0x40, 0x1b, 0x74, 19]));
    const storeLength = INVOICE_QR.length + 3;
    const store = Buffer.concat([Buffer.from([0x1d, 0x28, 0x6b, storeLength & 0xff, storeLength >> 8, 0x31, 0x50, 0x30]), Buffer.from(INVOICE_QR)]);
    expect(bytes.indexOf(store)).toBeGreaterThan(0);
    expect(bytes.indexOf(Buffer.from([0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30]))).toBeGreaterThan(bytes.indexOf(store));
    expect(bytes.subarray(-3)).toEqual(Buffer.from([0x1d, 0x56, 0x00]));
  });

  it("decodes to the same receipt whether the stream arrives whole or one byte at a time", () => {
    const bytes = encodeReceipt(layoutReceipt({ ...FUEL_RECEIPT, qr: INVOICE_QR }, 58, GOLDEN_STATION), 58);
    const whole = new EscPosDecoder().feed(bytes);
    const trickle = new EscPosDecoder();
    const events = [...bytes].flatMap((b) => trickle.feed(Buffer.from([b])));
    expect(events).toEqual(whole);
    expect(whole).toHaveLength(1);
  });
});
