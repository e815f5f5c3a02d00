// Shared test fixtures of the Invoice Service tests: bounded polling, temp dirs, secret files,
// a ReceiptPrinter that records what it was asked to print, a tiny HTTP issuer stub.
import { mkdtemp, rm, writeFile, chmod } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ReceiptContent, ReceiptPrinter } from "../../drivers/printer/contract.ts";
import type { Logger } from "../../agent/log.ts";

/** Polls `check` until it returns a truthy value; fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function tempDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "glase-invoice-"));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export async function writeSecret(dir: string, secret: string, mode = 0o600): Promise<string> {
  const path = join(dir, "issuer.secret");
  await writeFile(path, `${secret}\n`, { mode });
  await chmod(path, mode);
  return path;
}

/** The notification token the tests use (48 hex digits, as the install docs make one). */
export const TOKEN = "5f0c2a9e7b1d4e6f8a3c0b2d4f6e8a1c3e5d7f9b0a2c4e6d";

export async function writeToken(dir: string, token = TOKEN, mode = 0o600): Promise<string> {
  const path = join(dir, "notification.token");
  await writeFile(path, `${token}\n`, { mode });
  await chmod(path, mode);
  return path;
}

export class RecordingPrinter implements ReceiptPrinter {
  readonly printed: ReceiptContent[] = [];
  async print(receipt: ReceiptContent): Promise<void> {
    this.printed.push(receipt);
  }
  async status() {
    return "ok" as const;
  }
  async close(): Promise<void> {}
}

/** An HTTP server whose answer the test chooses per request. */
export async function startStub(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; port: number; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => answer(req, res));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/notify`,
    port,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

export { freePort } from "../support/free-port.ts";

/** A logger that keeps test output readable; tests assert on journal and callbacks, not logs. */
export const silentLog: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silentLog };
