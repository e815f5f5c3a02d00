// The virtual printer's ESC/POS decoder: commands other drivers send, unknown commands, noise.
import { describe, expect, it } from "vitest";
import { decodeStatus, HEALTHY, statusByte, STATUS_QUERY } from "../../../drivers/printer/escpos-status.ts";
import { EscPosDecoder } from "../../../simulator/devices/virtual-printer-decoder.ts";
import type { DecoderEvent } from "../../../simulator/devices/virtual-printer-decoder.ts";

const bytes = (...parts: (string | number[])[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "latin1") : Buffer.from(p))));
const receipts = (events: DecoderEvent[]) => events.flatMap((e) => (e.kind === "receipt" ? [e.receipt] : []));

describe("EscPosDecoder", () => {
  it("skips unknown ESC/GS commands and stray control bytes, counting each", () => {
    const decoder = new EscPosDecoder();
    const events = decoder.feed(bytes("A", [0x1b, 0x01], "B", [0x1d, 0x02], "C", [0x07], "\n", [0x1d, 0x56, 0x41, 0x03]));
    expect(receipts(events).map((r) => r.lines)).toEqual([["ABC"]]);
    expect(decoder.skipped).toBe(3);
  });

  it("renders GS k barcodes (both forms), prints the stored QR once on GS ( k fn 81, and cuts on ESC i", () => {
    const qr = "HTTP://SEQR.SE/Qglasedemo000123";
    const store = [0x1d, 0x28, 0x6b, qr.length + 3, 0, 0x31, 0x50, 0x30];
    const events = new EscPosDecoder().feed(
      bytes([0x1d, 0x6b, 0x04], "ABC123", [0x00], [0x1d, 0x6b, 0x49, 9], "{B0039394", store, qr, [0x1d, 0x28, 0x6b, 3, 0, 0x31, 0x51, 0x30], [0x1b, 0x69]),
    );
    expect(receipts(events)[0]!.lines).toEqual(["[BARCODE:ABC123]", "[BARCODE:0039394]", `[QR:${qr}]`]);
    expect(receipts(events)[0]!.barcodes).toEqual(["ABC123", "0039394"]);
  });

  it("reports DLE EOT requests, whose answers decode back to the same condition", () => {
    const events = new EscPosDecoder().feed(STATUS_QUERY);
    const ns = events.flatMap((e) => (e.kind === "status-request" ? [e.n] : []));
    expect(ns).toEqual([1, 2, 4]);
    const answer = (c: typeof HEALTHY) => Buffer.from(ns.map((n) => statusByte(n, c)));
    expect(decodeStatus(answer(HEALTHY))).toBe("ok");
    expect(decodeStatus(answer({ ...HEALTHY, paperOut: true, coverOpen: true }))).toBe("paper-out");
    expect(decodeStatus(answer({ ...HEALTHY, coverOpen: true }))).toBe("cover-open");
    expect(decodeStatus(answer({ ...HEALTHY, offline: true }))).toBe("offline");
    expect(decodeStatus(Buffer.from([0xff, 0x12, 0x12]))).toBe("unknown");
    expect(decodeStatus(Buffer.from([0x12]))).toBe("unknown");
  });

  it("never throws on random bytes, whatever the chunking (seeded)", () => {
    let seed = 0x5eed;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const decoder = new EscPosDecoder();
    for (let round = 0; round < 2000; round++) {
      const chunk = Buffer.alloc(Math.floor(random() * 64), 0).map(() => (random() < 0.3 ? [0x1b, 0x1d, 0x10, 0x0a][Math.floor(random() * 4)]! : Math.floor(random() * 256)));
      expect(() => decoder.feed(chunk)).not.toThrow();
    }
    expect(decoder.skipped).toBeGreaterThan(0);
  });
});
