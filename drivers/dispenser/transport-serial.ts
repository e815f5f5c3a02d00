// Serial transport on serialport + ReadlineParser: RS-232/RS-485 adapters (/dev/ttyUSB0,
// /dev/serial/by-id/…) and, in tests, one end of a socat pty pair. When the adapter is pulled
// out serialport closes the port with a "disconnected" error; we report that as onClose and the
// owner reopens the same path later (udev gives the same by-id link back on replug).
//
// A pty whose other side vanished does not error: the read returns 0 bytes forever and
// serialport retries silently. So we also watch the path itself (drivers/serial-presence.ts):
// when it disappears or points to another device, the line is gone and we close it (a pulled USB
// adapter loses its node too).
import { SerialPort } from "serialport";
import { AgentError } from "../../base/errors.ts";
import { watchPresence } from "../serial-presence.ts";
import { splitLines, type LineConnection, type LineConnector } from "./transport.ts";

export interface SerialOptions {
  readonly path: string;
  readonly baudRate?: number; // default 115200
  readonly dataBits?: 5 | 6 | 7 | 8; // default 8
  readonly parity?: "none" | "even" | "odd" | "mark" | "space"; // default none
  readonly stopBits?: 1 | 1.5 | 2; // default 1
  /** How often to check that the device node still exists (ms). Default 250. */
  readonly presenceCheckMs?: number;
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
        const watch = watchPresence(options.path, options.presenceCheckMs ?? 250, (why) => {
          if (!closed && port.isOpen) {
            const gone = Object.assign(new Error(`${options.path} ${why}`), { disconnected: true });
            port.close(undefined, gone);
          }
        });
        splitLines(port, (line) => {
          if (!closed) handlers.onLine(line);
        });
        port.on("error", (e: Error) => {
          lastError = e;
        });
        port.on("close", (e?: Error | null) => {
          watch.stop();
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
              watch.stop();
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
