// Fuzz: ≥ 10,000 random and mutated inputs each to the scan parser and to both HID report
// decoders (through HidBarcodeScanner and a fake device). No exception escapes, and every bad
// input is counted — checked against an independent oracle. Seeded so a failure replays.
import { describe, expect, it } from "vitest";
import type { Logger } from "../../../agent/log.ts";
import type { ScannerCounters } from "../../../drivers/scanner/contract.ts";
import { BOOT_REPORT_LENGTH } from "../../../drivers/scanner/hid-keyboard-decoder.ts";
import { POS_REPORT_LENGTH } from "../../../drivers/scanner/hid-pos-decoder.ts";
import { HidBarcodeScanner } from "../../../drivers/scanner/hid-scanner.ts";
import type { HidReportFormat } from "../../../drivers/scanner/hid-scanner.ts";
import { DEFAULT_SCAN_PARSER_OPTIONS } from "../../../drivers/scanner/scan-parser.ts";
import { VirtualScanner } from "../../../simulator/devices/virtual-scanner.ts";
import { FakeHidBus, recordedReports } from "./fake-hid.ts";
import { prng } from "../../support/prng.ts";

const ROUNDS = 10_000;

/** Tens of thousands of scan_rejected warnings would drown the test output; counters are the check. */
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };

const SEEDS = [
  "GD0039394857311223",
  "HTTP://SEQR.SE/Qglasedemo000123",
  "http://seqr.se/000/invoice?j=eyJhbGciOiJIUzI1NiJ9.eyJhIjoiMjkuOTkifQ.PwBs2SXHLMC3sofiSWayX180XM7i3wANOdZTjmXHmLg",
  "]C0ABC123456",
  "4006381333931",
];

function randomString(random: () => number): string {
  const length = Math.floor(random() * 80);
  let s = "";
  for (let i = 0; i < length; i++) {
    const r = random();
    // Mostly printable ASCII, some control characters, some non-ASCII.
    s += String.fromCharCode(r < 0.8 ? 0x20 + Math.floor(random() * 95) : r < 0.9 ? Math.floor(random() * 0x20) : 0x80 + Math.floor(random() * 0x2000));
  }
  return s;
}

function mutate(text: string, random: () => number): string {
  let s = text;
  const edits = 1 + Math.floor(random() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * (s.length + 1));
    const op = random();
    if (op < 0.3) s = s.slice(0, at) + String.fromCharCode(Math.floor(random() * 0x100)) + s.slice(at);
    else if (op < 0.5) s = s.slice(0, at) + s.slice(at + 1);
    else if (op < 0.65) s = s.slice(0, at);
    else if (op < 0.75) s = s.repeat(1 + Math.floor(random() * 60)); // overlong
    else if (op < 0.85) s = s.toLowerCase();
    else s = s.slice(0, at) + "\r\n" + s.slice(at);
  }
  return s;
}

/** Independent oracle for parser input badness (framing CR/LF at the ends is not content). */
function isBad(raw: string): boolean {
  let text = raw;
  while (text.startsWith("\r") || text.startsWith("\n")) text = text.slice(1);
  while (text.endsWith("\r") || text.endsWith("\n")) text = text.slice(0, -1);
  if (text.length > DEFAULT_SCAN_PARSER_OPTIONS.maxLength) return true;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return text.replace(/^\][A-Za-z][0-9A-Za-z]/, "").trim() === "";
}

const totalRejected = (c: ScannerCounters): number => Object.values(c.rejected).reduce((a, b) => a + b, 0);

describe("scanner fuzz", () => {
  it(`scan parser: ${ROUNDS} random and mutated reads, every bad one counted`, () => {
    const random = prng(0x61a5e);
    const scanner = new VirtualScanner({ logger: quiet });
    let bad = 0;
    let kinds = 0;
    scanner.onScan((scan) => {
      switch (scan.kind) {
        case "glase-id":
        case "invoice-qr":
        case "other":
          kinds += 1;
          break;
        default: {
          const never: never = scan;
          throw new Error(`unexpected scan ${JSON.stringify(never)}`);
        }
      }
    });
    for (let i = 0; i < ROUNDS; i++) {
      const input = random() < 0.5 ? randomString(random) : mutate(SEEDS[Math.floor(random() * SEEDS.length)]!, random);
      if (isBad(input)) bad += 1;
      expect(() => scanner.inject(input)).not.toThrow();
    }
    const counters = scanner.counters();
    expect(bad).toBeGreaterThan(ROUNDS / 10); // the generator does produce bad input
    expect(totalRejected(counters)).toBe(bad);
    expect(counters.scans).toBe(ROUNDS - bad);
    expect(kinds).toBe(counters.scans);
  });

  for (const [format, fixtures, length] of [
    ["keyboard", ["keyboard-glase-id", "keyboard-sticker-qr"], BOOT_REPORT_LENGTH],
    ["hid-pos", ["pos-code128", "pos-invoice-qr"], POS_REPORT_LENGTH],
  ] as [HidReportFormat, string[], number][]) {
    it(`${format} reports: ${ROUNDS} random and mutated reports, no exception, every wrong-sized report counted`, async () => {
      const random = prng(format === "keyboard" ? 0xb007 : 0x8c);
      const bus = new FakeHidBus();
      const device = bus.plug();
      const scanner = new HidBarcodeScanner({ format, open: bus.open, pollIntervalMs: 5, logger: quiet });
      await new Promise<void>((resolve) => scanner.onStatus((s) => s === "connected" && resolve()));
      const recorded = fixtures.flatMap((name) => recordedReports(name));
      let wrongSize = 0;
      for (let i = 0; i < ROUNDS; i++) {
        let report: Buffer;
        const r = random();
        if (r < 0.4) {
          // A recorded report with flipped bytes.
          report = Buffer.from(recorded[Math.floor(random() * recorded.length)]!);
          for (let f = 0; f < 1 + Math.floor(random() * 3); f++) report[Math.floor(random() * report.length)] = Math.floor(random() * 256);
        } else if (r < 0.7) {
          report = Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
        } else if (r < 0.85) {
          report = Buffer.from(Array.from({ length: Math.floor(random() * 130) }, () => Math.floor(random() * 256)));
        } else {
          report = recorded[Math.floor(random() * recorded.length)]!; // intact, so real reads complete too
        }
        if (report.length !== length) wrongSize += 1;
        expect(() => device.emit("data", report)).not.toThrow();
      }
      const counters = scanner.counters();
      expect(wrongSize).toBeGreaterThan(100);
      expect(counters.rejected["bad-report"]).toBeGreaterThanOrEqual(wrongSize);
      expect(counters.scans + totalRejected(counters)).toBeGreaterThan(wrongSize);
      await scanner.close();
    });

    it(`${format} reports: each of ${ROUNDS} wrong-sized reports is counted exactly once`, async () => {
      const random = prng(0x515e);
      const bus = new FakeHidBus();
      const device = bus.plug();
      const scanner = new HidBarcodeScanner({ format, open: bus.open, pollIntervalMs: 5, logger: quiet });
      await new Promise<void>((resolve) => scanner.onStatus((s) => s === "connected" && resolve()));
      for (let i = 0; i < ROUNDS; i++) {
        let size = Math.floor(random() * 130);
        if (size === length) size += 1;
        device.emit("data", Buffer.from(Array.from({ length: size }, () => Math.floor(random() * 256))));
      }
      expect(scanner.counters().rejected["bad-report"]).toBe(ROUNDS);
      expect(scanner.counters().scans).toBe(0);
      await scanner.close();
    });
  }
});
