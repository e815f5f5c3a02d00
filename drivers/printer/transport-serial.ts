// Serial receipt printers (RS-232 or USB CDC-ACM) on serialport. The line carries DLE EOT answers
// back, so status is real. The port is opened on first use and reopened after it closes (USB
// unplug), so a printer that comes back is picked up by the next job.
// serialport (native bindings, a dozen parsers) is loaded only when a serial printer is opened.
import type { SerialPort } from "serialport";
import { AgentError } from "../../base/errors.ts";
import { ReadBack } from "./readback.ts";
import type { PrinterTransport } from "./transport.ts";
import { stillborn, transportDisconnected, transportTimeout, withTimeout } from "./transport.ts";

export class SerialPrinterTransport implements PrinterTransport {
  readonly description: string;
  private port: SerialPort | undefined;
  private opening: Promise<SerialPort> | undefined;
  private readonly readBack: ReadBack;

  constructor(
    private readonly path: string,
    private readonly baudRate: number,
  ) {
    this.description = `serial ${path}@${baudRate}`;
    this.readBack = new ReadBack(this.description);
  }

  write(bytes: Buffer, timeoutMs: number): Promise<void> {
    return withTimeout(timeoutMs, () => transportTimeout(this.description, "write", timeoutMs), async (signal) => {
      const port = await this.opened();
      if (signal.aborted) return stillborn();
      await new Promise<void>((resolve, reject) => {
        port.write(bytes, (error) => {
          if (error) return reject(transportDisconnected(this.description, error));
          // drain: the bytes have left our buffer for the tty, not just been queued in Node.
          port.drain((drainError) => (drainError ? reject(transportDisconnected(this.description, drainError)) : resolve()));
        });
      });
    });
  }

  exchange(request: Buffer, responseLength: number, timeoutMs: number): Promise<Buffer> {
    // No answer: the printer may be gone in a way the tty does not report (a vanished pty or
    // adapter reads end-of-file forever). Close the port so the next job reopens the path.
    const timedOut = (): Error => {
      const error = transportTimeout(this.description, "status", timeoutMs);
      this.readBack.fail(error);
      void this.close();
      return error;
    };
    return withTimeout(timeoutMs, timedOut, async (signal) => {
      const port = await this.opened();
      if (signal.aborted) return stillborn();
      this.readBack.discard();
      const answer = this.readBack.read(responseLength);
      port.write(request);
      return answer;
    });
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (port === undefined || !port.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private opened(): Promise<SerialPort> {
    if (this.port?.isOpen) return Promise.resolve(this.port);
    this.opening ??= import("serialport").then(({ SerialPort: Port }) => new Promise<SerialPort>((resolve, reject) => {
      const port = new Port({ path: this.path, baudRate: this.baudRate, autoOpen: false });
      port.open((error) => {
        this.opening = undefined;
        if (error) return reject(transportDisconnected(this.description, error));
        port.on("data", (chunk: Buffer) => {
          if (this.port === port) this.readBack.push(chunk);
        });
        port.on("error", (portError) => {
          if (this.port === port) this.readBack.fail(transportDisconnected(this.description, portError));
        });
        port.on("close", () => {
          if (this.port !== port) return;
          this.port = undefined;
          this.readBack.fail(new AgentError("DEVICE_DISCONNECTED", `${this.description} closed`, { printer: this.description }));
        });
        this.port = port;
        resolve(port);
      });
    }));
    return this.opening;
  }
}
