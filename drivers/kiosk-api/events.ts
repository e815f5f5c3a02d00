// The event stream (Server-Sent Events) of payment changes. Bounded everywhere:
// - at most `maxStreams` open streams (the next one gets 503 and Retry-After);
// - a stream whose client does not read (more than `bufferBytes` waiting in its socket) is
//   closed, never buffered without bound; the client reconnects with Last-Event-ID;
// - the last `replay` events are kept, so a client that reconnects with Last-Event-ID gets what
//   it missed; one whose id is older (or from before an agent restart: ids carry the process's
//   epoch) gets a `resync` event, meaning "re-read your payments with GET".
// A comment line every `heartbeatMs` keeps proxies and idle timeouts from closing the stream.
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../../base/log.ts";
import type { KioskSale } from "../../contracts/kiosk.ts";
import { toPayment } from "./schemas.ts";

export interface EventHubOptions {
  readonly maxStreams: number;
  readonly bufferBytes: number;
  readonly heartbeatMs: number;
  readonly replay: number;
  readonly logger: Logger;
  /** This API's idempotency-key scope, stripped from the keys it shows (server.ts). */
  readonly keyPrefix?: string;
}

interface Stream {
  readonly res: ServerResponse;
  readonly points?: ReadonlySet<number>;
}

interface Sent {
  readonly seq: number;
  readonly point: number;
  readonly frame: string;
}

export class EventHub {
  private readonly epoch = randomBytes(4).toString("hex");
  private readonly streams = new Set<Stream>();
  private readonly ring: Sent[] = [];
  private seq = 0;
  private readonly heartbeat: NodeJS.Timeout;
  private counters = { dropped: 0, sent: 0 };

  constructor(private readonly o: EventHubOptions) {
    this.heartbeat = setInterval(() => {
      for (const s of this.streams) this.write(s, ": keep-alive\n\n");
    }, o.heartbeatMs);
    this.heartbeat.unref();
  }

  stats(): { streams: number; dropped: number; sent: number } {
    return { streams: this.streams.size, ...this.counters };
  }

  /** Whether one more stream may open. */
  hasRoom(): boolean {
    return this.streams.size < this.o.maxStreams;
  }

  publish(sale: KioskSale): void {
    const seq = ++this.seq;
    const frame = `id: ${this.epoch}-${seq}\nevent: payment\ndata: ${JSON.stringify(toPayment(sale, this.o.keyPrefix))}\n\n`;
    this.ring.push({ seq, point: sale.point, frame });
    if (this.ring.length > this.o.replay) this.ring.shift();
    for (const s of this.streams) if (!s.points || s.points.has(sale.point)) this.write(s, frame);
  }

  /** Opens a stream on this response (the caller checked hasRoom and authentication). */
  open(req: IncomingMessage, res: ServerResponse, points: ReadonlySet<number> | undefined): void {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" });
    res.flushHeaders();
    const stream: Stream = { res, ...(points ? { points } : {}) };
    this.streams.add(stream);
    const forget = () => this.streams.delete(stream);
    res.on("close", forget);
    req.socket.setNoDelay(true);
    this.write(stream, "retry: 2000\n\n");
    const last = req.headers["last-event-id"];
    if (typeof last === "string") this.replayFrom(stream, last);
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const s of this.streams) s.res.end();
    this.streams.clear();
  }

  private replayFrom(stream: Stream, lastId: string): void {
    const m = /^([0-9a-f]+)-(\d+)$/.exec(lastId.trim());
    const oldest = this.ring[0]?.seq ?? this.seq + 1;
    const seq = m && m[1] === this.epoch ? Number(m[2]) : undefined;
    // Replayable when every event after `seq` is still in the ring.
    if (seq === undefined || seq > this.seq || seq + 1 < oldest) {
      this.write(stream, `id: ${this.epoch}-${this.seq}\nevent: resync\ndata: {}\n\n`);
      return;
    }
    for (const e of this.ring) if (e.seq > seq && (!stream.points || stream.points.has(e.point))) this.write(stream, e.frame);
  }

  private write(s: Stream, frame: string): void {
    const res = s.res;
    if (res.destroyed || res.writableEnded) return;
    if (res.writableLength > this.o.bufferBytes) {
      // The client stopped reading: drop it rather than hold its backlog.
      this.counters.dropped++;
      this.o.logger.warn("kiosk_api_stream_dropped", { buffered: res.writableLength });
      this.streams.delete(s);
      res.destroy();
      return;
    }
    this.counters.sent++;
    res.write(frame);
  }
}
