// How the driver (and the virtual controller) reach the other side: a connector opens one
// connection and feeds it complete lines; when the connection dies it calls onClose once and is
// never used again — the owner opens a new one (reconnect). Keeping "one connection = one
// object" makes reconnects trivial to reason about: no half-reset state survives a link loss.
import type { Readable } from "node:stream";
import { ReadlineParser } from "@serialport/parser-readline";

export interface LineHandlers {
  /** One line without its terminator (CR LF or LF), as latin1 text so every byte survives. */
  onLine(line: string): void;
  /** The connection is gone (device vanished, peer closed, I/O error). Called at most once. */
  onClose(error?: Error): void;
}

export interface LineConnection {
  /** Writes bytes as they are (the caller framed them); resolves once handed to the OS. */
  write(data: string): Promise<void>;
  /** Closes the connection; onClose is not called for a close we asked for. */
  close(): Promise<void>;
  /** For logs: "/dev/ttyUSB0" or "10.0.0.5:4001". */
  readonly description: string;
}

export type LineConnector = (handlers: LineHandlers) => Promise<LineConnection>;

/** A device that babbles without ever sending LF must not grow our buffer without bound. */
const MAX_BUFFERED = 8192;

/**
 * Splits a byte stream into lines (LF, with an optional CR before it) with ReadlineParser, as
 * latin1 so every byte survives to the codec, which then judges it. When more than
 * MAX_BUFFERED bytes arrive without a line end, the head is handed on as one (over-long, hence
 * bad) line and dropped, so it is counted like any other garbage.
 */
export function splitLines(source: Readable, onLine: (line: string) => void): void {
  const parser = new ReadlineParser({ delimiter: "\n", encoding: "latin1" });
  source.pipe(parser);
  parser.on("data", (line: string) => onLine(line.endsWith("\r") ? line.slice(0, -1) : line));
  source.on("data", () => {
    if (parser.buffer.length > MAX_BUFFERED) {
      const head = parser.buffer.subarray(0, 1024).toString("latin1");
      parser.buffer = Buffer.alloc(0);
      onLine(head);
    }
  });
}
