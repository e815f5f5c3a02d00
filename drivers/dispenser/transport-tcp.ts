// TCP transport (controller boards with an Ethernet port, and the virtual controller). Lines are
// split by the same splitLines (ReadlineParser) the serial transport uses, so both paths frame identically.
import { Socket, createConnection } from "node:net";
import { AgentError } from "../../base/errors.ts";
import { splitLines, type LineConnection, type LineConnector, type LineHandlers } from "./transport.ts";

export interface TcpOptions {
  readonly host: string;
  readonly port: number;
  /** Connect timeout (ms). Default 3000. */
  readonly connectTimeoutMs?: number;
}

export function tcpConnector(options: TcpOptions): LineConnector {
  return (handlers) =>
    new Promise<LineConnection>((resolve, reject) => {
      const socket = createConnection({ host: options.host, port: options.port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => socket.destroy(new Error("connect timeout")), options.connectTimeoutMs ?? 3000);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        resolve(wrapSocket(socket, `${options.host}:${options.port}`, handlers));
      });
      socket.once("error", (err) => {
        clearTimeout(timer);
        reject(new AgentError("DEVICE_DISCONNECTED", `cannot connect to ${options.host}:${options.port}: ${err.message}`, { host: options.host, port: options.port }, { cause: err }));
      });
    });
}

/** Line framing over an already connected socket (also used by the virtual controller's server). */
export function wrapSocket(socket: Socket, description: string, handlers: LineHandlers): LineConnection {
  let closing = false;
  let closed = false;
  splitLines(socket, (line) => {
    if (!closed) handlers.onLine(line);
  });
  let lastError: Error | undefined;
  socket.on("error", (err) => {
    lastError = err;
  });
  socket.on("close", () => {
    if (closed) return;
    closed = true;
    if (!closing) handlers.onClose(lastError ?? new Error("peer closed the connection"));
  });
  return {
    description,
    write: (data) =>
      new Promise<void>((resolve, reject) => {
        if (closed) return reject(new AgentError("DEVICE_DISCONNECTED", `${description} is closed`));
        socket.write(data, "latin1", (err) => (err ? reject(new AgentError("DEVICE_DISCONNECTED", `write to ${description} failed: ${err.message}`, {}, { cause: err })) : resolve()));
      }),
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        if (closed) return resolve();
        socket.once("close", () => resolve());
        socket.destroy();
      }),
  };
}
