// The line link to the MDB adapter: serialport + ReadlineParser on the USB/serial device (or one
// end of a socat pty pair in tests), or TCP to a serial device server. One connection = one
// object: when it dies it calls onClose once and is never used again; the driver opens a new
// one (reconnect), so no half-reset state survives a link loss.
//
// A tty whose far side vanished (a pty whose peer died, some USB adapters) does not error: reads
// return end-of-file forever. So a serial link also polls its path and closes itself when the
// path stops resolving to the device it opened (udev gives the same by-id link back on replug).
import { realpath } from "node:fs/promises";
import { connect } from "node:net";
import type { Readable } from "node:stream";
import { ReadlineParser } from "@serialport/parser-readline";
import { AgentError } from "../../base/errors.ts";
import type { MdbSettings } from "./config.ts";

export interface MdbLinkHandlers {
  onLine(line: string): void;
  onClose(error?: Error): void;
}

export interface MdbConnection {
  write(data: string): Promise<void>;
  close(): Promise<void>;
  readonly description: string;
}

export type MdbConnector = (handlers: MdbLinkHandlers) => Promise<MdbConnection>;

/** A babbling device that never sends LF must not grow the buffer without bound. */
const MAX_LINE = 4096;

function lines(source: Readable, onLine: (line: string) => void): void {
  const parser = new ReadlineParser({ delimiter: "\n", encoding: "latin1" });
  source.pipe(parser);
  parser.on("data", (line: string) => onLine(line));
  source.on("data", () => {
    if (parser.buffer.length > MAX_LINE) {
      const head = parser.buffer.subarray(0, 256).toString("latin1");
      parser.buffer = Buffer.alloc(0);
      onLine(head); // judged (and counted) as garbage by the driver
    }
  });
}

export function mdbConnector(link: MdbSettings["link"], presenceCheckMs = 250): MdbConnector {
  return link.kind === "tcp" ? tcpConnector(link.host, link.port) : serialConnector(link.path, link.baudRate, presenceCheckMs);
}

function serialConnector(path: string, baudRate: number, presenceCheckMs: number): MdbConnector {
  return async (handlers) => {
    const { SerialPort } = await import("serialport");
    const device = await realpath(path).catch(() => undefined);
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) =>
      port.open((err) => (err ? reject(new AgentError("DEVICE_DISCONNECTED", `cannot open ${path}: ${err.message}`, { path }, { cause: err })) : resolve())),
    );
    let closed = false;
    let closing = false;
    const presence = setInterval(() => {
      realpath(path).then(
        (p) => p !== device && gone(`${path} now points to ${p}`),
        () => gone(`${path} vanished`),
      );
    }, presenceCheckMs);
    presence.unref();
    const gone = (why: string) => {
      if (!closed && port.isOpen) port.close(undefined, Object.assign(new Error(why), { disconnected: true }));
    };
    lines(port, (l) => !closed && handlers.onLine(l));
    let lastError: Error | undefined;
    port.on("error", (e: Error) => (lastError = e));
    port.on("close", (e?: Error | null) => {
      clearInterval(presence);
      if (closed) return;
      closed = true;
      if (!closing) handlers.onClose(e ?? lastError ?? new Error(`${path} closed`));
    });
    return {
      description: path,
      write: (data) =>
        new Promise<void>((res, rej) => {
          if (closed) return rej(new AgentError("DEVICE_DISCONNECTED", `${path} is closed`));
          port.write(Buffer.from(data, "latin1"), (e) => (e ? rej(new AgentError("DEVICE_DISCONNECTED", `write to ${path} failed: ${e.message}`)) : res()));
        }),
      close: () =>
        new Promise<void>((res) => {
          closing = true;
          clearInterval(presence);
          if (closed || !port.isOpen) return (closed = true), res();
          port.close(() => ((closed = true), res()));
        }),
    };
  };
}

function tcpConnector(host: string, port: number): MdbConnector {
  return (handlers) =>
    new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      let up = false;
      let closing = false;
      socket.once("error", (err) => {
        if (!up) reject(new AgentError("DEVICE_DISCONNECTED", `cannot reach ${host}:${port}: ${err.message}`, { host, port }, { cause: err }));
      });
      socket.once("connect", () => {
        up = true;
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 5000);
        lines(socket, (l) => handlers.onLine(l));
        socket.on("error", () => undefined); // "close" follows
        socket.once("close", () => {
          if (!closing) handlers.onClose(new Error(`${host}:${port} closed`));
        });
        resolve({
          description: `${host}:${port}`,
          write: (data) =>
            new Promise<void>((res, rej) => {
              if (socket.destroyed) return rej(new AgentError("DEVICE_DISCONNECTED", `${host}:${port} is closed`));
              socket.write(Buffer.from(data, "latin1"), (e) => (e ? rej(new AgentError("DEVICE_DISCONNECTED", e.message)) : res()));
            }),
          close: async () => {
            closing = true;
            socket.destroy();
          },
        });
      });
    });
}
