// HID scanners: recorded reports of both kinds through the real decoders and HidBarcodeScanner,
// with a fake device object in place of node-hid; hot-plug with a device that errors and returns.
import { describe, expect, it } from "vitest";
import type { Scan, ScannerStatus } from "../../../drivers/scanner/contract.ts";
import { KeyboardReportDecoder } from "../../../drivers/scanner/hid-keyboard-decoder.ts";
import { PosReportDecoder } from "../../../drivers/scanner/hid-pos-decoder.ts";
import { HidBarcodeScanner } from "../../../drivers/scanner/hid-scanner.ts";
import type { HidReportFormat } from "../../../drivers/scanner/hid-scanner.ts";
import { FakeHidBus, recordedReports } from "./fake-hid.ts";

function nextStatus(scanner: HidBarcodeScanner, wanted: ScannerStatus): Promise<void> {
  return new Promise((resolve) => {
    const off = scanner.onStatus((status) => {
      if (status === wanted) {
        off();
        resolve();
      }
    });
  });
}

async function connectedScanner(format: HidReportFormat, bus = new FakeHidBus()) {
  const device = bus.plugged ?? bus.plug();
  const scanner = new HidBarcodeScanner({ format, open: bus.open, pollIntervalMs: 5 });
  await nextStatus(scanner, "connected");
  const scans: Scan[] = [];
  scanner.onScan((scan) => scans.push(scan));
  return { scanner, device, scans, bus };
}

const JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImlzcyI6IlJlZmVyZW5jZSBJc3N1ZXIifQ.eyJhIjoiMjkuOTkiLCJjIjoiU0VLIiwiZCI6IlRlc3QgaW52b2ljZSIsInIiOiJSODIwOTE5IiwibyI6ImZhbHNlIn0.PwBs2SXHLMC3sofiSWayX180XM7i3wANOdZTjmXHmLg";

describe("HID keyboard-emulation reports", () => {
  it("decodes a recorded Glase ID read (shifted letters, digits, Enter)", async () => {
    const { scanner, device, scans } = await connectedScanner("keyboard");
    device.replay(recordedReports("keyboard-glase-id"));
    expect(scans).toEqual([{ kind: "glase-id", seqrId: "GD0039394857311223", from: "code128" }]);
    await scanner.close();
  });

  it("decodes a recorded sticker QR read with punctuation into the seqrId", async () => {
    const { scanner, device, scans } = await connectedScanner("keyboard");
    device.replay(recordedReports("keyboard-sticker-qr"));
    expect(scans).toEqual([{ kind: "glase-id", seqrId: "glasedemo000123", from: "sticker-qr" }]);
    expect(scanner.counters()).toEqual({ scans: 1, rejected: { empty: 0, "control-character": 0, "too-long": 0, "bad-report": 0 } });
    await scanner.close();
  });

  it("handles right shift, keypad digits and keypad Enter; a held key counts once", () => {
    const decoder = new KeyboardReportDecoder(100);
    const r = (...b: number[]) => Buffer.from([...b, 0, 0, 0, 0, 0, 0, 0, 0].slice(0, 8));
    expect(decoder.feed(r(0x20, 0, 0x04))).toEqual({ kind: "none" }); // right shift + a → A
    expect(decoder.feed(r(0x20, 0, 0x04))).toEqual({ kind: "none" }); // still held: no repeat
    expect(decoder.feed(r(0, 0, 0))).toEqual({ kind: "none" });
    expect(decoder.feed(r(0, 0, 0x59))).toEqual({ kind: "none" }); // keypad 1
    expect(decoder.feed(r(0, 0, 0x59, 0x62))).toEqual({ kind: "none" }); // keypad 0 while 1 is held
    expect(decoder.feed(r(0, 0, 0x58))).toEqual({ kind: "text", text: "A10" });
  });

  it("counts malformed reports (length, error roll-over, keys without a character) and goes on", () => {
    const decoder = new KeyboardReportDecoder(100);
    expect(decoder.feed(Buffer.from([0, 0, 4]))).toMatchObject({ kind: "bad-report" });
    expect(decoder.feed(Buffer.from([0, 0, 1, 1, 1, 1, 1, 1]))).toMatchObject({ kind: "bad-report", why: "error roll-over" });
    expect(decoder.feed(Buffer.from([0, 0, 0x3a, 0, 0, 0, 0, 0]))).toMatchObject({ kind: "bad-report" }); // F1
    expect(decoder.feed(Buffer.from([0x01, 0, 0x06, 0, 0, 0, 0, 0]))).toMatchObject({ kind: "bad-report" }); // Ctrl+C
    expect(decoder.feed(Buffer.from([0, 0, 0x05, 0, 0, 0, 0, 0]))).toEqual({ kind: "none" });
    expect(decoder.feed(Buffer.from([0, 0, 0x28, 0, 0, 0, 0, 0]))).toEqual({ kind: "text", text: "b" });
  });
});

describe("HID POS (usage page 0x8C) reports", () => {
  it("decodes a recorded Code 128 read", async () => {
    const { scanner, device, scans } = await connectedScanner("hid-pos");
    device.replay(recordedReports("pos-code128"));
    expect(scans).toEqual([{ kind: "glase-id", seqrId: "GD0039394857311223", from: "code128" }]);
    await scanner.close();
  });

  it("joins an invoice QR spread over continued reports", async () => {
    const { scanner, device, scans } = await connectedScanner("hid-pos");
    const reports = recordedReports("pos-invoice-qr");
    expect(reports.length).toBeGreaterThan(1);
    device.replay(reports);
    expect(scans).toEqual([{ kind: "invoice-qr", url: `HTTP://SEQR.SE/000/invoice?j=${JWT}`, jwt: JWT }]);
    await scanner.close();
  });

  it("ignores other report IDs and drops a barcode whose report is malformed", () => {
    const decoder = new PosReportDecoder(2048);
    const [first] = recordedReports("pos-invoice-qr");
    const other = Buffer.alloc(64);
    other[0] = 0x04;
    expect(decoder.feed(other)).toEqual({ kind: "none" });
    expect(decoder.feed(first!)).toEqual({ kind: "none" }); // continued
    const broken = Buffer.from(first!);
    broken[1] = 57;
    expect(decoder.feed(broken)).toMatchObject({ kind: "bad-report" });
    expect(decoder.feed(recordedReports("pos-code128")[0]!)).toEqual({ kind: "text", text: "GD0039394857311223" });
  });

  it("refuses to buffer a never-ending continued barcode beyond maxLength", () => {
    const decoder = new PosReportDecoder(100);
    const [first] = recordedReports("pos-invoice-qr");
    expect(decoder.feed(first!)).toEqual({ kind: "none" });
    expect(decoder.feed(first!)).toMatchObject({ kind: "bad-report" });
  });
});

describe("hot-plug", () => {
  it("reports disconnected when the device errors, polls, and reopens when it comes back", async () => {
    const bus = new FakeHidBus();
    const { scanner, device, scans } = await connectedScanner("keyboard", bus);
    const statuses: ScannerStatus[] = [];
    scanner.onStatus((s) => statuses.push(s));

    // Half a read, then the cable is pulled.
    const reports = recordedReports("keyboard-glase-id");
    device.replay(reports.slice(0, 10));
    bus.plugged = undefined;
    const gone = nextStatus(scanner, "disconnected");
    device.unplug();
    await gone;
    expect(device.closed).toBe(true);
    const opensWhileAway = bus.opens;
    await expect.poll(() => bus.opens, { timeout: 10_000 }).toBeGreaterThan(opensWhileAway + 1); // it keeps looking

    const back = nextStatus(scanner, "connected");
    const replugged = bus.plug();
    await back;
    replugged.replay(reports);
    // The half read from before the unplug does not prefix the new one.
    expect(scans).toEqual([{ kind: "glase-id", seqrId: "GD0039394857311223", from: "code128" }]);
    expect(statuses).toEqual(["disconnected", "connected"]);

    device.replay(reports); // the old device object is dead: ignored
    expect(scans).toHaveLength(1);
    await scanner.close();
    expect(replugged.closed).toBe(true);
  });

  it("keeps polling when open itself fails (node-hid cannot load, permission denied)", async () => {
    let attempts = 0;
    const bus = new FakeHidBus();
    const scanner = new HidBarcodeScanner({
      format: "keyboard",
      pollIntervalMs: 5,
      open: async () => {
        attempts += 1;
        if (attempts < 3) throw new Error("cannot open /dev/hidraw0: permission denied");
        return bus.open();
      },
    });
    const connected = nextStatus(scanner, "connected");
    bus.plug();
    await connected;
    expect(attempts).toBeGreaterThanOrEqual(3);
    await scanner.close();
  });
});
