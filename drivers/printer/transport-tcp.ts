// Network receipt printers: raw ESC/POS on TCP port 9100 ("JetDirect"), which also carries the
// DLE EOT answers back. One connection is kept open and reopened on the next job after it drops
// (printer power-cycled, cable pulled), so a dead printer costs one connect timeout, not a hang.
import net from "node:net";
import { AgentError } from "../../base/errors.ts";
import { ReadBack } from "./readback.ts";
import type { PrinterTransport } from "./transport.ts";
import { stillborn, transportDisconnected, transportTimeout, withTimeout } from "./transport.ts";

const CONNECT_TIMEOUT_MS = 5000;

export class TcpPrinterTransport implements PrinterTransport {
  readonly description: string;
  private socket: net.Socket | undefined;
  private connecting: Promise<net.Socket> | undefined;
  private readonly readBack: ReadBack;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {
    this.description = `tcp ${host}:${port}`;
    this.readBack = new ReadBack(this.description);
  }

  write(bytes: Buffer, timeoutMs: number): Promise<void> {
    // A write that times out has left part of a receipt in the printer: drop the connection so the
    // next job (a reprint) starts on a fresh one instead of queueing behind the stalled bytes.
    return withTimeout(timeoutMs, () => this.abandon(transportTimeout(this.description, "write", timeoutMs)), async (signal) => {
      const socket = await this.connected();
      if (signal.aborted) return stillborn();
      await new Promise<void>((resolve, reject) => {
        socket.write(bytes, (error) => (error ? reject(transportDisconnected(this.description, error)) : resolve()));
      });
    });
  }

  exchange(request: Buffer, responseLength: number, timeoutMs: number): Promise<Buffer> {
    // No answer may mean a half-dead connection (cable pulled, printer replaced without a RST):
    // drop it, so the next attempt finds out on a fresh connect.
    const timedOut = (): Error => {
      const error = transportTimeout(this.description, "status", timeoutMs);
      this.readBack.fail(error);
      return this.abandon(error);
    };
    return withTimeout(timeoutMs, timedOut, async (signal) => {
      const socket = await this.connected();
      if (signal.aborted) return stillborn();
      this.readBack.discard();
      const answer = this.readBack.read(responseLength);
      socket.write(request);
      return answer;
    });
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket === undefined || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once("close", () => resolve());
      socket.end();
      // A printer that never acknowledges the FIN must not keep close() waiting.
      setTimeout(() => socket.destroy(), 1000).unref();
    });
  }

  private connected(): Promise<net.Socket> {
    if (this.socket !== undefined && !this.socket.destroyed) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({ host: this.host, port: this.port });
      socket.setNoDelay(true);
      const onConnectError = (error: Error): void => {
        this.connecting = undefined;
        socket.destroy();
        reject(transportDisconnected(this.description, error));
      };
      socket.once("error", onConnectError);
      socket.once("connect", () => {
        socket.off("error", onConnectError);
        // Events of a connection we already abandoned must not fail a query on its successor.
        socket.on("error", (error) => {
          if (this.socket === socket) this.readBack.fail(transportDisconnected(this.description, error));
        });
        socket.on("close", () => {
          if (this.socket !== socket) return;
          this.socket = undefined;
          this.readBack.fail(new AgentError("DEVICE_DISCONNECTED", `${this.description} closed the connection`, { printer: this.description }));
        });
        socket.on("data", (chunk: Buffer) => {
          if (this.socket === socket) this.readBack.push(chunk);
        });
        this.socket = socket;
        this.connecting = undefined;
        resolve(socket);
      });
      // An unreachable host can take minutes to fail at the TCP level; give up on our own clock.
      const giveUp = setTimeout(() => socket.destroy(new Error(`connect timed out after ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
      socket.once("close", () => clearTimeout(giveUp));
      socket.once("connect", () => clearTimeout(giveUp));
    });
    return this.connecting;
  }

  private abandon(error: AgentError): AgentError {
    this.socket?.destroy();
    this.socket = undefined;
    return error;
  }
}
