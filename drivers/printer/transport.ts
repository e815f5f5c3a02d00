// What EscPosPrinter needs from a connection to a printer. Transports throw AgentError
// DEVICE_DISCONNECTED / DEVICE_TIMEOUT; the printer maps those to PRINTER_UNAVAILABLE.
import { AgentError } from "../../base/errors.ts";

export interface PrinterTransport {
  /** For logs and error context, e.g. "tcp 192.0.2.10:9100". */
  readonly description: string;
  /** Sends bytes; resolves once they are handed to the OS, rejects after `timeoutMs`. */
  write(bytes: Buffer, timeoutMs: number): Promise<void>;
  /**
   * Only on transports that read back (serial, TCP): sends `request` and resolves with exactly
   * `responseLength` answer bytes. Absent on write-only transports (character device, file).
   */
  exchange?(request: Buffer, responseLength: number, timeoutMs: number): Promise<Buffer>;
  close(): Promise<void>;
}

/**
 * Runs `start` and rejects with `onTimeout()` if it has not settled within `timeoutMs`. The signal
 * tells `start` it was given up on, so it must not go on to write: a receipt reported as failed
 * (and reprinted from the journal later) must not also come out of the printer late.
 */
export function withTimeout<T>(timeoutMs: number, onTimeout: () => Error, start: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      controller.abort();
      reject(onTimeout());
    }, timeoutMs);
    start(controller.signal).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

export function transportTimeout(description: string, what: string, timeoutMs: number): AgentError {
  return new AgentError("DEVICE_TIMEOUT", `${description}: ${what} did not complete within ${timeoutMs} ms`, { printer: description, timeoutMs });
}

export function transportDisconnected(description: string, error: Error): AgentError {
  return new AgentError("DEVICE_DISCONNECTED", `${description}: ${error.message}`, { printer: description, errno: (error as NodeJS.ErrnoException).code }, { cause: error });
}

/** What a timed-out job returns once its connection finally opens: nothing is sent. */
export function stillborn(): Promise<never> {
  return Promise.reject(new AgentError("ABORTED", "job timed out before the printer connection opened"));
}
