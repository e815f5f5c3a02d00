// The serial scanner over a real tty: a socat pty pair, the "scanner" writing on one end.
import { SerialPort } from "serialport";
import { afterEach, describe, expect, it } from "vitest";
import type { Scan, ScannerStatus } from "../../../drivers/scanner/contract.ts";
import { SerialBarcodeScanner } from "../../../drivers/scanner/serial-scanner.ts";
import { openPtyPair } from "../../../simulator/devices/pty-pair.ts";
import type { PtyPair } from "../../../simulator/devices/pty-pair.ts";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openEnd(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  cleanups.push(() => (port.isOpen ? new Promise((resolve) => port.close(resolve)) : Promise.resolve()));
  return port;
}

function waitFor<T>(subscribe: (listener: (value: T) => void) => () => void, accept: (value: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const off = subscribe((value) => {
      if (accept(value)) {
        off();
        resolve(value);
      }
    });
  });
}

async function scannerOn(pty: PtyPair): Promise<SerialBarcodeScanner> {
  const scanner = new SerialBarcodeScanner({ path: pty.b, baudRate: 9600, pollIntervalMs: 20 });
  cleanups.push(() => scanner.close());
  await waitFor<ScannerStatus>((l) => scanner.onStatus(l), (s) => s === "connected");
  return scanner;
}

describe("SerialBarcodeScanner over a socat pty pair", () => {
  it("turns CR- and CRLF-terminated lines into typed scans and counts bad ones", async () => {
    const pty = await openPtyPair();
    cleanups.push(() => pty.close());
    const scanner = await scannerOn(pty);
    const device = await openEnd(pty.a);
    const scans: Scan[] = [];
    scanner.onScan((s) => scans.push(s));

    const third = waitFor<Scan>((l) => scanner.onScan(l), (s) => s.kind === "other");
    device.write("GD0039394857311223\r");
    device.write("HTTP://SEQR.SE/Qglasedemo000123\r\n");
    device.write("bad\x1bline\r"); // rejected: control character
    device.write("Pump 3 - Diesel\r\n");
    await third;
    expect(scans).toEqual([
      { kind: "glase-id", seqrId: "GD0039394857311223", from: "code128" },
      { kind: "glase-id", seqrId: "glasedemo000123", from: "sticker-qr" },
      { kind: "other", text: "Pump 3 - Diesel" },
    ]);
    expect(scanner.counters().rejected["control-character"]).toBe(1);
  });

  it("rejects a runaway line without a terminator instead of buffering it forever", async () => {
    const pty = await openPtyPair();
    cleanups.push(() => pty.close());
    const scanner = await scannerOn(pty);
    const device = await openEnd(pty.a);
    const next = waitFor<Scan>((l) => scanner.onScan(l), () => true);
    device.write("Z".repeat(5000));
    device.write("\rABC123\r");
    expect(await next).toEqual({ kind: "glase-id", seqrId: "ABC123", from: "code128" });
    expect(scanner.counters().rejected["too-long"]).toBeGreaterThanOrEqual(1);
  });

  it("reports the unplug, and reopens the same path when the scanner comes back", async () => {
    const pty = await openPtyPair();
    const scanner = await scannerOn(pty);
    const dir = pty.b.slice(0, pty.b.lastIndexOf("/"));

    const gone = waitFor<ScannerStatus>((l) => scanner.onStatus(l), (s) => s === "disconnected");
    await pty.close();
    await gone;

    const back = waitFor<ScannerStatus>((l) => scanner.onStatus(l), (s) => s === "connected");
    const replugged = await openPtyPair({ dir });
    cleanups.push(() => replugged.close());
    await back;
    const device = await openEnd(replugged.a);
    const next = waitFor<Scan>((l) => scanner.onScan(l), () => true);
    device.write("ABC123456\r");
    expect(await next).toEqual({ kind: "glase-id", seqrId: "ABC123456", from: "code128" });
  });
});
