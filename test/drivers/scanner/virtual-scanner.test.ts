import { describe, expect, it } from "vitest";
import type { Scan, ScannerStatus } from "../../../drivers/scanner/contract.ts";
import { VirtualScanner } from "../../../simulator/devices/virtual-scanner.ts";

describe("VirtualScanner", () => {
  it("classifies injected reads like a real scanner, counts bad ones, and simulates unplugging", async () => {
    const scanner = new VirtualScanner();
    const scans: Scan[] = [];
    const statuses: ScannerStatus[] = [];
    scanner.onScan((s) => scans.push(s));
    scanner.onStatus((s) => statuses.push(s));

    scanner.inject("HTTP://SEQR.SE/Q0039394857311223");
    scanner.inject("\u0000\u0001");
    scanner.setConnected(false);
    scanner.inject("ignored while unplugged");
    scanner.setConnected(true);
    scanner.inject("GD-0042\r");

    expect(scans).toEqual([
      { kind: "glase-id", seqrId: "0039394857311223", from: "sticker-qr" },
      { kind: "other", text: "GD-0042" },
    ]);
    expect(statuses).toEqual(["disconnected", "connected"]);
    expect(scanner.counters().scans).toBe(2);
    expect(scanner.counters().rejected["control-character"]).toBe(1);
    await scanner.close();
  });

  it("keeps delivering when a listener throws", () => {
    const scanner = new VirtualScanner();
    const seen: Scan[] = [];
    scanner.onScan(() => {
      throw new Error("listener bug");
    });
    scanner.onScan((s) => seen.push(s));
    expect(() => scanner.inject("ABC123")).not.toThrow();
    expect(seen).toHaveLength(1);
  });
});
