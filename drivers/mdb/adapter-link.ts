// The driver's link to the MDB adapter over time: one connection at a time (link.ts opens it),
// reconnected with backoff when it is lost; the link state the station shows as device health;
// those waiting for it to come up. Apart from the cashless driver (cashless.ts), which decides what
// the lines mean and what to send when the link comes back.
import { AgentError } from "../../base/errors.ts";
import type { Logger } from "../../base/log.ts";
import type { MdbSettings } from "./config.ts";
import type { MdbConnection, MdbConnector } from "./link.ts";

/** The adapter link as the station's device health shows it (degraded: why, while reconnecting). */
export interface MdbLinkState {
  readonly up: boolean;
  readonly detail?: string;
}

/** What the driver does with the link. */
export interface AdapterLinkHooks {
  /** A line from the current connection. */
  onLine(line: string): void;
  /** The connection is up (and those waiting for it told). */
  onUp(): void;
  /** The connection is lost (a reconnect follows). */
  onLost(): void;
}

export class AdapterLink {
  private current: MdbConnection | undefined;
  private generation = 0;
  private closed = false;
  private backoff: number;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly linkWaiters = new Set<() => void>();
  private readonly linkListeners = new Set<(s: MdbLinkState) => void>();
  private link: MdbLinkState = { up: false, detail: "MDB adapter not connected yet" };
  /** Reconnect attempts so far (the driver's stats). */
  reconnects = 0;

  constructor(
    private readonly s: MdbSettings,
    private readonly connector: MdbConnector,
    private readonly log: Logger,
    private readonly hooks: AdapterLinkHooks,
  ) {
    this.backoff = s.reconnectInitialMs;
  }

  /** The open connection, if any. */
  get conn(): MdbConnection | undefined {
    return this.current;
  }

  /**
   * The adapter link's state now and at every change (up, or lost with the reason). The station
   * turns it into device health (ctl status, ctl points) and a condition alarm (device-link-down).
   */
  onLink(listener: (s: MdbLinkState) => void): () => void {
    this.linkListeners.add(listener);
    listener(this.link);
    return () => this.linkListeners.delete(listener);
  }

  private setLink(next: MdbLinkState): void {
    if (this.closed || (next.up === this.link.up && next.detail === this.link.detail)) return;
    this.link = next;
    for (const l of [...this.linkListeners]) l(next);
  }

  /** Resolves once the adapter link is up (or rejects after timeoutMs). */
  waitForLink(timeoutMs: number): Promise<void> {
    if (this.current) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => (clearTimeout(t), this.linkWaiters.delete(done), resolve());
      const t = setTimeout(() => (this.linkWaiters.delete(done), reject(new AgentError("DEVICE_DISCONNECTED", `MDB adapter link not up within ${timeoutMs} ms`))), timeoutMs);
      this.linkWaiters.add(done);
    });
  }

  /** Written if the link is up; a failed write is logged (the machine's answer settles it). */
  send(line: string): void {
    const conn = this.current;
    if (!conn) return;
    conn.write(line).catch((err: unknown) => this.log.warn("mdb_write_failed", { line: line.trim(), err }));
  }

  /** No reconnect from now on, and the lines of the current connection are ignored. */
  stop(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.generation++;
  }

  /** Closes the connection (after stop and the driver's last step). */
  async release(): Promise<void> {
    const conn = this.current;
    this.current = undefined;
    await conn?.close();
  }

  async connect(): Promise<void> {
    if (this.closed) return;
    const generation = ++this.generation;
    try {
      const conn = await this.connector({
        onLine: (line) => generation === this.generation && this.hooks.onLine(line),
        onClose: (err) => generation === this.generation && this.lost(err),
      });
      if (this.closed || generation !== this.generation) return void (await conn.close());
      this.current = conn;
      this.backoff = this.s.reconnectInitialMs;
      this.log.info("mdb_link_up", { via: conn.description });
      this.setLink({ up: true });
      for (const w of [...this.linkWaiters]) w();
      this.hooks.onUp();
    } catch (err) {
      this.log.debug("mdb_connect_failed", { err });
      if (!this.link.up && this.link.detail === "MDB adapter not connected yet") this.setLink({ up: false, detail: `MDB adapter not reachable (${err instanceof Error ? err.message : String(err)}); retrying` });
      this.scheduleReconnect();
    }
  }

  private lost(err: Error | undefined): void {
    if (this.closed) return;
    // One line with the reason: a lost link is an event (device health and an alarm follow), not a bug with a stack.
    this.log.warn("mdb_link_lost", { via: this.conn?.description, reason: err?.message ?? "closed" });
    this.setLink({ up: false, detail: `MDB adapter link lost${err ? ` (${err.message})` : ""}; reconnecting` });
    this.current = undefined;
    this.hooks.onLost();
    this.generation++;
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    clearTimeout(this.reconnectTimer);
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.s.reconnectMaxMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnects++;
      void this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }}
