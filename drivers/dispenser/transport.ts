// How the driver (and the virtual controller) reach the other side: a connector opens one
// connection and feeds it complete lines; when the connection dies it calls onClose once and is
// never used again — the owner opens a new one (reconnect). Keeping "one connection = one
// object" makes reconnects trivial to reason about: no half-reset state survives a link loss.

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

/** Strips the CR of a CR LF terminator that a "\n" splitter leaves behind. */
export function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
