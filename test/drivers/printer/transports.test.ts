// The write-only transports (file, character device) and the serial transport over a real pty.
import { execFileSync } from "node:child_process";
import { constants, openSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { SerialPort } from "serialport";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AgentError as AgentErrorClass } from "../../../agent/errors.ts";
import { createReceiptPrinter } from "../../../drivers/printer/printer-factory.ts";
import { withTimeout } from "../../../drivers/printer/transport.ts";
import { openPtyPair } from "../../../simulator/devices/pty-pair.ts";
import { EscPosDecoder } from "../../../simulator/devices/virtual-printer-decoder.ts";
import type { DecodedReceipt } from "../../../simulator/devices/virtual-printer-decoder.ts";
import { PrintFileReader } from "../../../simulator/devices/virtual-printer-file.ts";
import { VirtualPrinter } from "../../../simulator/devices/virtual-printer.ts";
import { rejection } from "../../support/rejection.ts";
import { FUEL_RECEIPT, FUEL_RECEIPT_TIME } from "./sample-receipt.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "glase-printer-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("file transport", () => {
  it("appends each receipt; the file sink decodes them one per cut; status is unknown", async () => {
    const file = path.join(dir, "receipts.escpos");
    const printer = createReceiptPrinter({ kind: "file", path: file, width: 58 });
    const reader = new PrintFileReader(file);
    expect(await reader.readNew()).toEqual([]);
    await printer.print(FUEL_RECEIPT);
    const first = await reader.readNew();
    expect(first).toHaveLength(1);
    expect(first[0]!.text).toContain(FUEL_RECEIPT.ersReference);
    await printer.print({ ...FUEL_RECEIPT, ersReference: "2026112100000000000000009" });
    const second = await reader.readNew();
    expect(second.map((r) => r.text.includes("2026112100000000000000009"))).toEqual([true]);
    expect(await printer.status()).toBe("unknown");
    await printer.close();
  });

  it("rejects with PRINTER_UNAVAILABLE when the file cannot be written", async () => {
    const printer = createReceiptPrinter({ kind: "file", path: path.join(dir, "no-such-dir", "r.escpos"), width: 58 });
    expect((await rejection(printer.print(FUEL_RECEIPT))).code).toBe("PRINTER_UNAVAILABLE");
  });
});

describe("character device transport (a FIFO stands in for /dev/usb/lp0)", () => {
  it("writes the receipt into the device", async () => {
    const fifo = path.join(dir, "lp0");
    execFileSync("mkfifo", [fifo]);
    // Open the read end non-blocking (no writer yet) and read it as a stream. A raw fd, not a
    // FileHandle: the socket owns and closes it (a FileHandle would close it again on GC).
    const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const reader = new net.Socket({ fd, readable: true, writable: false });
    const decoder = new EscPosDecoder();
    const received = new Promise<DecodedReceipt>((resolve) => {
      reader.on("data", (chunk: Buffer) => {
        for (const event of decoder.feed(chunk)) if (event.kind === "receipt") resolve(event.receipt);
      });
    });
    const printer = createReceiptPrinter({ kind: "device", path: fifo, width: 80 });
    try {
      await printer.print(FUEL_RECEIPT);
      const receipt = await received;
      expect(receipt.text).toContain("Glase payment");
      expect(receipt.text).toContain(FUEL_RECEIPT_TIME);
      expect(await printer.status()).toBe("unknown");
    } finally {
      reader.destroy();
      await printer.close();
    }
  });

  it("fails fast with PRINTER_UNAVAILABLE when nobody is on the other end or the device is gone", async () => {
    const fifo = path.join(dir, "lp1");
    execFileSync("mkfifo", [fifo]);
    const noReader = await rejection(createReceiptPrinter({ kind: "device", path: fifo, width: 58 }).print(FUEL_RECEIPT));
    expect(noReader.code).toBe("PRINTER_UNAVAILABLE");
    expect(noReader.context.errno).toBe("ENXIO");
    const missing = await rejection(createReceiptPrinter({ kind: "device", path: path.join(dir, "lp9"), width: 58 }).print(FUEL_RECEIPT));
    expect(missing.code).toBe("PRINTER_UNAVAILABLE");
    expect(missing.context.errno).toBe("ENOENT");
  });
});

describe("serial transport over a socat pty pair", () => {
  it("prints and reads DLE EOT status back over a real tty", async () => {
    const pty = await openPtyPair();
    const virtual = await VirtualPrinter.listen();
    const devicePort = new SerialPort({ path: pty.a, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => devicePort.open((e) => (e ? reject(e) : resolve())));
    virtual.serve(devicePort);
    const printer = createReceiptPrinter({ kind: "serial", path: pty.b, baudRate: 115200, width: 58 });
    try {
      expect(await printer.status()).toBe("ok");
      const received = virtual.nextReceipt();
      await printer.print(FUEL_RECEIPT);
      expect((await received).text).toContain(FUEL_RECEIPT.ersReference);

      virtual.setCondition({ paperOut: true });
      expect((await rejection(printer.print(FUEL_RECEIPT))).code).toBe("PRINTER_UNAVAILABLE");
      expect(await printer.status()).toBe("paper-out");
    } finally {
      await printer.close();
      await virtual.close();
      if (devicePort.isOpen) await new Promise((resolve) => devicePort.close(resolve));
      await pty.close();
    }
  });
});

describe("serial transport: the printer's line goes away and comes back", () => {
  it("rejects with PRINTER_UNAVAILABLE while the tty is dead, and prints again on the replugged one", async () => {
    const pty = await openPtyPair();
    const dir = pty.b.slice(0, pty.b.lastIndexOf("/"));
    const virtual = await VirtualPrinter.listen();
    const attach = async (end: string): Promise<SerialPort> => {
      const port = new SerialPort({ path: end, baudRate: 115200, autoOpen: false });
      await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
      virtual.serve(port);
      return port;
    };
    await attach(pty.a);
    const printer = createReceiptPrinter({ kind: "serial", path: pty.b, baudRate: 115200, width: 58, statusTimeoutMs: 300 });
    let replugged: Awaited<ReturnType<typeof openPtyPair>> | undefined;
    try {
      expect(await printer.status()).toBe("ok");
      await pty.close();
      expect((await rejection(printer.print(FUEL_RECEIPT))).code).toBe("PRINTER_UNAVAILABLE");

      replugged = await openPtyPair({ dir });
      await attach(replugged.a);
      const received = virtual.nextReceipt();
      await printer.print(FUEL_RECEIPT);
      expect((await received).text).toContain(FUEL_RECEIPT.ersReference);
    } finally {
      await printer.close();
      await virtual.close();
      await replugged?.close();
    }
  });
});

describe("withTimeout", () => {
  it("tells a job that outlived its timeout, so a late connection does not print a receipt already reported failed", async () => {
    let open!: () => void;
    const connection = new Promise<void>((resolve) => (open = resolve));
    let wroteLate = false;
    const job = withTimeout(10, () => new AgentErrorClass("DEVICE_TIMEOUT", "timed out"), async (signal) => {
      await connection;
      if (!signal.aborted) wroteLate = true;
    });
    await expect(job).rejects.toMatchObject({ code: "DEVICE_TIMEOUT" });
    open();
    await connection;
    await new Promise((resolve) => setImmediate(resolve));
    expect(wroteLate).toBe(false);
  });
});
