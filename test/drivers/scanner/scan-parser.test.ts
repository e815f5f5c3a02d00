import { describe, expect, it } from "vitest";
import type { Scan } from "../../../drivers/scanner/contract.ts";
import { DEFAULT_SCAN_PARSER_OPTIONS, parseScan } from "../../../drivers/scanner/scan-parser.ts";
import type { ParseResult } from "../../../drivers/scanner/scan-parser.ts";

const scan = (scan: Scan): ParseResult => ({ kind: "scan", scan });
const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJhIjoiMjkuOTkifQ.PwBs2SXHLMC3sofiSWayX180XM7i3wANOdZTjmXHmLg";

describe("parseScan", () => {
  it("takes a Code 128 alphanumeric number as a Glase ID (§3.2, §4.12)", () => {
    expect(parseScan("0039394857311223")).toEqual(scan({ kind: "glase-id", seqrId: "0039394857311223", from: "code128" }));
    expect(parseScan("ABC123456\r\n")).toEqual(scan({ kind: "glase-id", seqrId: "ABC123456", from: "code128" }));
    expect(parseScan("]C0glasedemo000123")).toEqual(scan({ kind: "glase-id", seqrId: "glasedemo000123", from: "code128" })); // AIM prefix
  });

  it("takes the sticker QR in any case, keeping the seqrId as printed", () => {
    expect(parseScan("HTTP://SEQR.SE/Q0039394857311223")).toEqual(scan({ kind: "glase-id", seqrId: "0039394857311223", from: "sticker-qr" }));
    expect(parseScan("http://seqr.se/qglasedemo000123")).toEqual(scan({ kind: "glase-id", seqrId: "glasedemo000123", from: "sticker-qr" }));
    expect(parseScan("https://Seqr.Se/QABC123")).toEqual(scan({ kind: "glase-id", seqrId: "ABC123", from: "sticker-qr" }));
  });

  it("uses the configured Glase host instead of SEQR.SE", () => {
    const options = { ...DEFAULT_SCAN_PARSER_OPTIONS, glaseHosts: ["pay.glase.example"] };
    expect(parseScan("HTTP://PAY.GLASE.EXAMPLE/QST0042", options)).toEqual(scan({ kind: "glase-id", seqrId: "ST0042", from: "sticker-qr" }));
    expect(parseScan("HTTP://SEQR.SE/QST0042", options)).toEqual(scan({ kind: "other", text: "HTTP://SEQR.SE/QST0042" }));
  });

  it("recognises the Invoice Service QR (§6.12, §7.4)", () => {
    const url = `HTTP://SEQR.SE/000/invoice?j=${JWT}`;
    expect(parseScan(url)).toEqual(scan({ kind: "invoice-qr", url, jwt: JWT }));
    expect(parseScan(`http://seqr.se/000/INVOICE?j=${JWT}`)).toMatchObject({ kind: "scan", scan: { kind: "invoice-qr", jwt: JWT } });
    expect(parseScan("HTTP://SEQR.SE/000/invoice?j=not-a-jwt")).toEqual(scan({ kind: "other", text: "HTTP://SEQR.SE/000/invoice?j=not-a-jwt" }));
  });

  it("passes everything else on as other", () => {
    for (const text of ["HTTP://SEQR.SE/R20151029186719114", "HTTP://SEQR.SE/Q", "HTTP://SEQR.SE/Qabc-123", "https://example.com/QABC", "ab1", "GD-0042", "Åre 95", "x".repeat(65)]) {
      expect(parseScan(text)).toEqual(scan({ kind: "other", text }));
    }
  });

  it("with a merchant prefix, only prefixed numbers are Glase IDs", () => {
    const options = { ...DEFAULT_SCAN_PARSER_OPTIONS, seqrIdPrefix: "GD" };
    expect(parseScan("GD0042", options)).toEqual(scan({ kind: "glase-id", seqrId: "GD0042", from: "code128" }));
    expect(parseScan("7310865004703", options)).toEqual(scan({ kind: "other", text: "7310865004703" })); // an EAN-13
  });

  it("rejects empty, control-character and overlong reads with a reason", () => {
    expect(parseScan("")).toEqual({ kind: "rejected", reason: "empty" });
    expect(parseScan("\r\n")).toEqual({ kind: "rejected", reason: "empty" });
    expect(parseScan("   ")).toEqual({ kind: "rejected", reason: "empty" });
    expect(parseScan("AB\x1bC")).toEqual({ kind: "rejected", reason: "control-character" });
    expect(parseScan("AB\tC")).toEqual({ kind: "rejected", reason: "control-character" });
    expect(parseScan("AB\x85C")).toEqual({ kind: "rejected", reason: "control-character" });
    expect(parseScan("A".repeat(2049))).toEqual({ kind: "rejected", reason: "too-long" });
    expect(parseScan("A".repeat(10), { ...DEFAULT_SCAN_PARSER_OPTIONS, maxLength: 9 })).toEqual({ kind: "rejected", reason: "too-long" });
  });
});
