// Packets to and from the controller, batched: whatever is queued when the previous HTTP request
// finishes goes out in the next one (commands first, then status polls), up to
// maxPacketsPerRequest, each with its own Id. One request at a time — the controller's embedded
// web server is not a place for parallel connections. Each packet settles on its own: a refused
// packet does not fail its neighbours; a transport failure fails every packet of that request
// with the same PtsTransportError (and its `indefinite` flag).
import { AgentError } from "../../base/errors.ts";
import type { Logger } from "../../base/log.ts";
import { PtsTransportError, isPtsTransportError } from "./errors.ts";
import { type PacketResult, type RequestPacket, decodeResponse, encodeRequest } from "./packets.ts";

export interface PacketPoster {
  post(body: string): Promise<string>;
}

export type Priority = "command" | "poll";

interface Entry {
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>> | undefined;
  readonly priority: Priority;
  readonly settle: (r: PacketResult) => void;
}

export interface ExchangeStats {
  readonly requests: number;
  readonly packets: number;
  readonly failedRequests: number;
  /** Answers that were not jsonPTS at all. */
  readonly unreadableAnswers: number;
  /** Answer packets matching no request packet. */
  readonly unexpectedPackets: number;
  /** Request packets the answer did not cover, or covered with a wrong Type. */
  readonly badPackets: number;
  readonly linkUp: boolean;
}

export class PacketExchange {
  private readonly queue: Entry[] = [];
  private inFlight = false;
  private pumpScheduled = false;
  private closed = false;
  private nextId = 1;
  private linkUp = false;
  private counters = { requests: 0, packets: 0, failedRequests: 0, unreadableAnswers: 0, unexpectedPackets: 0, badPackets: 0 };

  constructor(
    private readonly poster: PacketPoster,
    private readonly opts: {
      readonly maxPacketsPerRequest: number;
      readonly logger: Logger;
      /** Called when a request succeeds after failures (true) or fails after successes (false). */
      readonly onLink: (up: boolean, error?: AgentError) => void;
      /** Called with every request's transport failure (the link may already be down). */
      readonly onFailure?: (error: PtsTransportError) => void;
    },
  ) {}

  /** One packet; resolves with its answer or rejects with the packet's own error. */
  async request(type: string, data?: Readonly<Record<string, unknown>>, priority: Priority = "command"): Promise<{ type: string; data: Readonly<Record<string, unknown>> }> {
    const r = await this.enqueue(type, data, priority);
    if (!r.ok) throw r.error;
    return { type: r.type, data: r.data };
  }

  /** Several packets queued together (one request when they fit); each settles on its own. */
  requestAll(packets: ReadonlyArray<{ type: string; data?: Readonly<Record<string, unknown>> }>, priority: Priority = "poll"): Promise<PacketResult[]> {
    return Promise.all(packets.map((p) => this.enqueue(p.type, p.data, priority)));
  }

  stats(): ExchangeStats {
    return { ...this.counters, linkUp: this.linkUp };
  }

  close(): void {
    this.closed = true;
    const error = new AgentError("DEVICE_DISCONNECTED", "PTS-2 driver closed");
    for (const e of this.queue.splice(0)) e.settle({ ok: false, error });
  }

  private enqueue(type: string, data: Readonly<Record<string, unknown>> | undefined, priority: Priority): Promise<PacketResult> {
    if (this.closed) return Promise.resolve({ ok: false, error: new AgentError("DEVICE_DISCONNECTED", "PTS-2 driver closed", { packetType: type }) });
    return new Promise((settle) => {
      this.queue.push({ type, data, priority, settle });
      this.schedulePump();
    });
  }

  /** Packets queued in the same tick (a poll's 50 statuses, a command beside them) share a request. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.inFlight || this.closed || this.queue.length === 0) return;
    const batch = this.takeBatch();
    this.inFlight = true;
    void this.send(batch).finally(() => {
      this.inFlight = false;
      this.pump();
    });
  }

  private takeBatch(): Entry[] {
    const max = this.opts.maxPacketsPerRequest;
    const commands = this.queue.filter((e) => e.priority === "command").slice(0, max);
    const polls = this.queue.filter((e) => e.priority === "poll").slice(0, max - commands.length);
    const batch = [...commands, ...polls];
    for (const e of batch) this.queue.splice(this.queue.indexOf(e), 1);
    return batch;
  }

  private async send(batch: Entry[]): Promise<void> {
    const packets: RequestPacket[] = batch.map((e) => ({ Id: this.allocateId(), Type: e.type, ...(e.data !== undefined ? { Data: e.data } : {}) }));
    this.counters.requests++;
    this.counters.packets += packets.length;
    let results: ReadonlyMap<number, PacketResult>;
    try {
      const body = await this.poster.post(encodeRequest(packets));
      let decoded;
      try {
        decoded = decodeResponse(body, packets);
      } catch (err) {
        this.counters.unreadableAnswers++;
        throw new PtsTransportError("unreadable", true, `controller answer unreadable: ${(err as Error).message}`, { packets: packets.length }, { cause: err });
      }
      results = decoded.results;
      if (decoded.unexpected > 0) {
        this.counters.unexpectedPackets += decoded.unexpected;
        this.opts.logger.warn("pts_unexpected_packets", { count: decoded.unexpected, sent: packets.length });
      }
      this.setLink(true);
    } catch (err) {
      this.counters.failedRequests++;
      const error = isPtsTransportError(err) ? err : new PtsTransportError("reset", true, `request failed: ${(err as Error).message}`, {}, { cause: err });
      this.setLink(false, error);
      this.opts.onFailure?.(error);
      for (const e of batch) e.settle({ ok: false, error });
      return;
    }
    batch.forEach((e, i) => {
      const r = results.get(packets[i]!.Id)!;
      if (!r.ok && r.error.code === "DEVICE_PROTOCOL") this.counters.badPackets++;
      e.settle(r);
    });
  }

  private allocateId(): number {
    const id = this.nextId;
    this.nextId = this.nextId >= 0x7fffffff ? 1 : this.nextId + 1;
    return id;
  }

  private setLink(up: boolean, error?: AgentError): void {
    if (this.linkUp === up) return;
    this.linkUp = up;
    this.opts.onLink(up, error);
  }
}
