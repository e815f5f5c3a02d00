// A NOTIFY_SOCKET for tests: a unix datagram socket bound in a temp dir (with unix-dgram, the
// same native module the agent sends with), collecting every datagram as parsed KEY=VALUE maps.
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Notification {
  readonly at: number;
  readonly raw: string;
  readonly fields: Record<string, string>;
}

interface Sock {
  bind(path: string): void;
  on(ev: string, fn: (...a: any[]) => void): void;
  close(): void;
}

export class NotifyListener {
  readonly messages: Notification[] = [];
  private waiters: Array<() => void> = [];
  private constructor(
    readonly path: string,
    private readonly dir: string,
    private readonly socket: Sock,
  ) {}

  static async open(): Promise<NotifyListener> {
    const dir = await mkdtemp(join(tmpdir(), "glase-notify-"));
    const path = join(dir, "notify.sock");
    const dgram = createRequire(import.meta.url)("unix-dgram") as { createSocket(t: string): Sock };
    const socket = dgram.createSocket("unix_dgram");
    const listener = new NotifyListener(path, dir, socket);
    socket.on("message", (buf: Buffer) => listener.push(buf.toString()));
    await new Promise<void>((resolve, reject) => {
      socket.on("listening", resolve);
      socket.on("error", reject);
      socket.bind(path);
    });
    return listener;
  }

  push(raw: string): void {
    const fields: Record<string, string> = {};
    for (const line of raw.split("\n")) {
      const i = line.indexOf("=");
      if (i > 0) fields[line.slice(0, i)] = line.slice(i + 1);
    }
    this.messages.push({ at: Date.now(), raw, fields });
    for (const w of this.waiters.splice(0)) w();
  }

  has(key: string, value?: string): boolean {
    return this.messages.some((m) => m.fields[key] !== undefined && (value === undefined || m.fields[key] === value));
  }

  count(key: string): number {
    return this.messages.filter((m) => m.fields[key] !== undefined).length;
  }

  /** Resolves with the first message (from `fromIndex`) matching; rejects after timeoutMs. */
  async waitFor(pred: (m: Notification) => boolean, timeoutMs = 20_000, fromIndex = 0): Promise<Notification> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(fromIndex).find(pred);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching notification within ${timeoutMs} ms; got: ${this.messages.map((m) => m.raw.replace(/\n/g, "|")).join(" ; ")}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  async close(): Promise<void> {
    this.socket.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}
