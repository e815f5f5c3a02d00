// Serial transport on serialport + ReadlineParser: RS-232/RS-485 adapters (/dev/ttyUSB0,
// /dev/serial/by-id/…) and, in tests, one end of a socat pty pair. When the adapter is pulled
// out serialport closes the port with a "disconnected" error; we report that as onClose and the
// owner reopens the same path later (udev gives the same by-id link back on replug).
import { SerialPort } from "serialport";
import { ReadlineParser } from "@serialport/parser-readline";
import { AgentError } from "../../agent/errors.ts";
import { stripCr, type LineConnection, type LineConnector } from "./transport.ts";

export interface SerialOptions {
  readonly path: string;
  readonly baudRate?: number; // default 115200
  readonly dataBits?: 5 | 6 | 7 | 8; // default 8
  readonly parity?: "none" | "even" | "odd" | "mark" | "space"; // default none
  readonly stopBits?: 1 | 1.5 | 2; // default 1
}

export function serialConnector(options: SerialOptions): LineConnector {
  return (handlers) =>
    new Promise<LineConnection>((resolve, reject) => {
      const port = new SerialPort({
        path: options.path,
        baudRate: options.baudRate ?? 115200,
        dataBits: options.dataBits ?? 8,
        parity: options.parity ?? "none",
        stopBits: options.stopBits ?? 1,
        autoOpen: false,
      });
      port.open((err) => {
        if (err) {
          reject(new AgentError("DEVICE_DISCONNECTED", `cannot open ${options.path}: ${err.message}`, { path: options.path }, { cause: err }));
          return;
        }
        let closing = false;
        let closed = false;
        let lastError: Error | undefined;
        const parser = port.pipe(new ReadlineParser({ delimiter: "\n", encoding: "latin1" }));
        parser.on("data", (line: string) => {
          if (!closed) handlers.onLine(stripCr(line));
        });
        port.on("error", (e: Error) => {
          lastError = e;
        });
        port.on("close", (e?: Error | null) => {
          if (closed) return;
          closed = true;
          if (!closing) handlers.onClose(e ?? lastError ?? new Error(`${options.path} closed`));
        });
        resolve({
          description: options.path,
          write: (data) =>
            new Promise<void>((res, rej) => {
              if (closed) return rej(new AgentError("DEVICE_DISCONNECTED", `${options.path} is closed`));
              port.write(Buffer.from(data, "latin1"), (e) => (e ? rej(new AgentError("DEVICE_DISCONNECTED", `write to ${options.path} failed: ${e.message}`, {}, { cause: e })) : res()));
            }),
          close: () =>
            new Promise<void>((res) => {
              closing = true;
              if (closed || !port.isOpen) {
                closed = true;
                return res();
              }
              port.close(() => {
                closed = true;
                res();
              });
            }),
        });
      });
    });
}
