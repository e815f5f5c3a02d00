// The real EscPosPrinter over the real TCP transport to the virtual printer on loopback.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ReceiptPrinter } from "../../../drivers/printer/contract.ts";
import { createReceiptPrinter } from "../../../drivers/printer/printer-factory.ts";
import { VirtualPrinter } from "../../../simulator/devices/virtual-printer.ts";
import { rejection } from "../../support/rejection.ts";
import { FUEL_RECEIPT, FUEL_RECEIPT_TIME, GOLDEN_STATION, INVOICE_QR } from "./sample-receipt.ts";

let virtual: VirtualPrinter;
let printer: ReceiptPrinter;
let receiptsDir: string;

beforeEach(async () => {
  receiptsDir = await mkdtemp(path.join(os.tmpdir(), "glase-receipts-"));
  virtual = await VirtualPrinter.listen({ receiptsDir });
  printer = createReceiptPrinter({ kind: "tcp", host: "127.0.0.1", port: virtual.port, width: 58, statusTimeoutMs: 1000 });
});

afterEach(async () => {
  await printer.close();
  await virtual.close();
  await rm(receiptsDir, { recursive: true, force: true });
});

describe("EscPosPrinter over TCP 9100 to the virtual printer", () => {
  it("prints a receipt that decodes to text with amount, ersReference, 'Glase payment' and timestamp", async () => {
    const received = virtual.nextReceipt();
    await printer.print({ ...FUEL_RECEIPT, qr: INVOICE_QR });
    const receipt = await received;
    expect(receipt.text).toContain("825.79 SEK");
    expect(receipt.text).toContain(FUEL_RECEIPT.ersReference);
    expect(receipt.text).toContain("Glase payment");
    expect(receipt.text).toContain(FUEL_RECEIPT_TIME);
    expect(receipt.text).toContain("Glase Station Åre Östra"); // through code page 858 and back
    expect(receipt.qrCodes).toEqual([INVOICE_QR]);
    expect(receipt.lines).toContain(`[QR:${INVOICE_QR}]`);
    expect(virtual.skippedCommands).toBe(0);

    const files = await readdir(receiptsDir);
    expect(files).toHaveLength(1);
    expect(await readFile(path.join(receiptsDir, files[0]!), "utf8")).toContain(FUEL_RECEIPT.ersReference);
  });

  it("prints consecutive receipts as separate cuts over one connection", async () => {
    await printer.print(FUEL_RECEIPT);
    await printer.print({ ...FUEL_RECEIPT, ersReference: "2026112114300500000000002" });
    await expect.poll(() => virtual.receipts.length, { timeout: 10_000 }).toBe(2);
    expect(virtual.receipts[1]!.text).toContain("2026112114300500000000002");
    expect(virtual.receipts[0]!.text).not.toContain("2026112114300500000000002");
  });

  it("lays out 80 mm receipts 48 columns wide", async () => {
    const wide = createReceiptPrinter({ kind: "tcp", host: "127.0.0.1", port: virtual.port, width: 80 });
    try {
      const received = virtual.nextReceipt();
      await wide.print(FUEL_RECEIPT);
      const { lines } = await received;
      expect(Math.max(...lines.map((l) => l.length))).toBe(48);
      expect(lines.some((l) => l.startsWith("Terminal") && l.endsWith(FUEL_RECEIPT.terminalId))).toBe(true);
    } finally {
      await wide.close();
    }
  });

  it("reports the printer's condition through DLE EOT", async () => {
    expect(await printer.status()).toBe("ok");
    virtual.setCondition({ paperOut: true });
    expect(await printer.status()).toBe("paper-out");
    virtual.setCondition({ paperOut: false, coverOpen: true });
    expect(await printer.status()).toBe("cover-open");
    virtual.setCondition({ coverOpen: false, offline: true });
    expect(await printer.status()).toBe("offline");
  });

  for (const condition of ["paperOut", "coverOpen", "offline", "mute"] as const) {
    it(`rejects with PRINTER_UNAVAILABLE when the printer is ${condition}, and prints once it recovers`, async () => {
      virtual.setCondition({ [condition]: true });
      const error = await rejection(printer.print(FUEL_RECEIPT));
      expect(error.code).toBe("PRINTER_UNAVAILABLE");
      expect(virtual.receipts).toHaveLength(0);

      virtual.setCondition({ [condition]: false });
      const received = virtual.nextReceipt();
      await printer.print(FUEL_RECEIPT); // the reprint the flows' journal will do
      expect((await received).text).toContain(FUEL_RECEIPT.ersReference);
    });
  }

  it("rejects with PRINTER_UNAVAILABLE when nothing listens, then reconnects when the printer is back", async () => {
    const port = virtual.port;
    await virtual.close();
    const error = await rejection(printer.print(FUEL_RECEIPT));
    expect(error.code).toBe("PRINTER_UNAVAILABLE");
    expect(await printer.status()).toBe("offline");

    virtual = await VirtualPrinter.listen({ port });
    const received = virtual.nextReceipt();
    await printer.print(FUEL_RECEIPT);
    expect((await received).text).toContain("Glase payment");
  });

  it("rejects bad content with INPUT_INVALID without touching the printer", async () => {
    const error = await rejection(printer.print({ ...FUEL_RECEIPT, amountMinor: 12.5 }));
    expect(error.code).toBe("INPUT_INVALID");
  });

  it("a printer that accepts the connection but never reads fails the print within its timeout", async () => {
    // A listener that accepts and then never answers nor reads: status goes unanswered.
    const sockets: net.Socket[] = [];
    const blackhole = net.createServer((s) => {
      s.pause();
      sockets.push(s);
    });
    await new Promise<void>((resolve) => blackhole.listen(0, "127.0.0.1", resolve));
    const port = (blackhole.address() as net.AddressInfo).port;
    const stuck = createReceiptPrinter({ kind: "tcp", host: "127.0.0.1", port, width: 58, statusTimeoutMs: 300 });
    try {
      const error = await rejection(stuck.print(FUEL_RECEIPT));
      expect(error.code).toBe("PRINTER_UNAVAILABLE");
      expect(error.context.health).toBe("offline");
    } finally {
      await stuck.close();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => blackhole.close(resolve));
    }
  });
});
