// One charger's WebSocket connection as the driver uses it. Calls from the charger are processed
// one at a time in arrival order (a MeterValues never overtakes the StartTransaction before it,
// and each answer goes out only after its effect is durable). A charger that floods — more calls
// queued than allowed, or, above its id's rate limit (flood-bucket.ts, kept across reconnects),
// frames a compliant charger never sends — is disconnected: the calls it did not get an answer to
// are still in its own queue and come again after it reconnects, so nothing is lost, and no other
// charger waits for it. A token is charged for a CALL that arrives while an earlier one of the
// charger is still unanswered (pipelined: OCPP-J allows one in flight — a charger that waits for
// each answer, e.g. draining its offline queue, runs at the agent's own pace and cannot flood),
// for a bad frame and for a response nobody asked for — also for calls ocpp-rpc answers itself
// before any handler runs (an unknown action: NotImplemented; a schema-invalid payload: a
// CALLERROR). Every call a handler runs for also costs a token of the charger's work bucket
// (call-pacer.ts, kept across reconnects): past maxCallsPerSecond its handling waits, so even a
// charger that waits for each answer cannot make the agent write, log or call back faster; one
// that keeps the bucket empty for maxBusyS is closed as a flood. Every flood close is
// reported (onFlood: the driver raises OCPP_FLOOD). Outgoing calls are typed (messages.ts) and
// reject with AgentError codes.
import type { Scheduler } from "../../base/clock.ts";
import { AgentError } from "../../base/errors.ts";
import type { Logger } from "../../base/log.ts";
import { CallPacer, FRAME_TOKEN_BYTES } from "./call-pacer.ts";
import { FloodBucket } from "./flood-bucket.ts";
import type { OutgoingCalls } from "./messages.ts";
import { isRpcTimeout, NOREPLY, type RpcHandshake, type RpcPeer } from "./rpc.ts";

export interface LinkLimits {
  readonly maxCallsPerSecond: number;
  readonly maxQueuedCalls: number;
  readonly callTimeoutMs: number;
  /** Timeout of an optional call (a TriggerMessage): one the charger never answers holds nothing long. */
  readonly optionalCallTimeoutMs?: number;
}

/** The agent's calls that go before any optional one (ocpp-rpc sends one call at a time per charger). */
const URGENT: ReadonlySet<string> = new Set(["RemoteStopTransaction"]);

export type InboundHandler = (params: unknown) => Promise<unknown> | unknown;

/** WebSocket close codes the driver uses. */
export const CLOSE = { replaced: 4000, flood: 1008, shutdown: 1001 } as const;

/** How long a charger has to answer our close frame before its connection is cut. */
export const CLOSE_HANDSHAKE_MS = 2_000;

export class ChargerLink {
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  /** The charger's CALLs not answered yet (message ids), and the agent's own CALLs awaiting its answer. */
  private readonly inFlight = new Set<string>();
  private readonly ours = new Set<string>();
  /** An answer went out in this turn of the event loop: a CALL read now was sent before the charger could have seen it. */
  private answeredThisTurn = false;
  private closing = false;
  private closed: Promise<void> = Promise.resolve();
  /** A call's handling waiting for its work token: released (not run) when the link closes. */
  private pacing: { cancel: () => void; resolve: (go: boolean) => void } | undefined;
  /** Calls slowed down since the last log line about it (logged once per series, then per 100). */
  private pacedCalls = 0;
  /** The agent's calls handed to ocpp-rpc and not settled; urgent ones among them. */
  private outstanding = 0;
  private urgent = 0;
  /** Optional calls waiting for an idle link, and the one in flight (aborted when an urgent call comes). */
  private readonly optionalWaiting: { go: (a: AbortController) => void; skip: (e: AgentError) => void }[] = [];
  private optionalInFlight: AbortController | undefined;
  /** Whoever waits for the stops queued or in flight to be settled (afterStops). */
  private readonly stopsSettled: Array<() => void> = [];

  constructor(
    readonly chargePointId: string,
    private readonly peer: RpcPeer & { readonly handshake: RpcHandshake },
    private readonly limits: LinkLimits,
    private readonly scheduler: Scheduler,
    private readonly log: Logger,
    private readonly bucket: FloodBucket = new FloodBucket(limits.maxCallsPerSecond, scheduler),
    private readonly pacer: CallPacer = new CallPacer(limits.maxCallsPerSecond, scheduler),
    /** A flood close (why; first: the first of a series, not forgiven since). */
    private readonly onFlood: (why: string, first: boolean) => void = () => undefined,
  ) {
    // ocpp-rpc emits "call" for a well-formed CALL (ours: outbound), "response" for a
    // CALLRESULT/CALLERROR (ours, or one nobody asked for), "callResult" when a handler's result
    // is known (NOREPLY: no answer goes out) and "badMessage" for anything it cannot use (bad
    // JSON, unknown type, non-string id) — its own bound on those counts only consecutive ones, and
    // every good frame resets it, so interleaving Heartbeats would otherwise let a charger push
    // megabytes of junk a second forever.
    peer.on("call", ((e: { outbound: boolean; payload: unknown[] }) => {
      const id = String(e.payload[1]);
      if (e.outbound) {
        this.ours.add(id);
        if (this.ours.size > 256) this.ours.delete(this.ours.values().next().value!); // calls that timed out long ago
        return;
      }
      if (this.inFlight.size > 0 || this.answeredThisTurn) this.countCall(String(e.payload[2]));
      this.inFlight.add(id);
    }) as never);
    peer.on("callResult", ((e: { outbound: boolean; messageId: string; result: unknown }) => {
      if (!e.outbound && e.result === NOREPLY) this.inFlight.delete(String(e.messageId)); // left for the charger to repeat: not in flight here
    }) as never);
    peer.on("response", ((e: { outbound: boolean; payload: unknown[] }) => {
      const id = String(e.payload[1]);
      if (e.outbound) {
        this.inFlight.delete(id);
        // ocpp-rpc answers some calls synchronously (NotImplemented, schema errors): frames read in
        // the same turn were on the wire before that answer left.
        if (!this.answeredThisTurn) setImmediate(() => (this.answeredThisTurn = false));
        this.answeredThisTurn = true;
      } else if (!this.ours.delete(id)) this.countCall("(unsolicited response)");
    }) as never);
    peer.on("badMessage", (() => this.countCall("(bad frame)")) as never);
    // A big frame costs the work tokens of its size (call-pacer.ts), paid before it is handled:
    // with frames up to maxFrameBytes (a StopTransaction's transactionData, review 12m #1), what
    // a charger can make the agent parse per second stays maxCallsPerSecond × FRAME_TOKEN_BYTES.
    // Charged by bytes (a 3-byte UTF-8 character is parsed as three); frames no handler waits for
    // that run the debt past a burst close the link as a flood (R13b-2).
    peer.on("message", ((e: { message: string | Buffer; outbound: boolean }) => {
      const bytes = typeof e.message === "string" ? Buffer.byteLength(e.message) : e.message.length;
      const extra = e.outbound ? 0 : Math.ceil(bytes / FRAME_TOKEN_BYTES) - 1;
      if (extra <= 0) return;
      this.pacer.chargeFrame(extra);
      if (this.pacer.overdrawn()) this.floodClose("(big frames)", `made the agent parse more than ${this.limits.maxCallsPerSecond} × ${FRAME_TOKEN_BYTES / 1024} KiB per second of frames it answered without handling them`);
    }) as never);
  }

  get open(): boolean {
    return !this.closing && this.peer.state === 1;
  }

  get remoteAddress(): string | undefined {
    return this.peer.handshake.remoteAddress;
  }

  /** Registers a handler for a charger→agent action; calls run serially through the link's queue. */
  handle(action: string, handler: InboundHandler): void {
    this.peer.handle(action, ({ params }) => this.admit(action, () => handler(params)));
  }

  /**
   * One of the agent's calls. `optional` (a TriggerMessage for evidence or progress): it goes out
   * only when no other call of the agent's is outstanding — ocpp-rpc sends one call at a time
   * (OCPP-J), so an optional call the charger never answers would hold a later RemoteStop for its
   * whole timeout — with a short timeout of its own; an urgent call (RemoteStopTransaction)
   * aborts the one in flight and skips those waiting (DEVICE_REJECTED, nothing sent).
   */
  async call<A extends keyof OutgoingCalls>(action: A, req: OutgoingCalls[A]["req"], opts: { optional?: boolean } = {}): Promise<OutgoingCalls[A]["conf"]> {
    if (!this.open) throw new AgentError("DEVICE_DISCONNECTED", `charger ${this.chargePointId} is not connected`, { chargePointId: this.chargePointId, action });
    const optional = opts.optional === true;
    const urgent = URGENT.has(action);
    let abort: AbortController | undefined;
    if (optional) {
      abort = await this.idleForOptional(action);
      if (abort.signal.aborted || this.urgent > 0) {
        if (this.optionalInFlight === abort) this.optionalInFlight = undefined;
        this.nextOptional();
        throw this.skipped(action);
      }
    } else if (urgent) {
      this.urgent++;
      for (const w of this.optionalWaiting.splice(0)) w.skip(this.skipped(action));
      this.optionalInFlight?.abort();
    }
    const timeoutMs = optional ? Math.min(this.limits.optionalCallTimeoutMs ?? this.limits.callTimeoutMs, this.limits.callTimeoutMs) : this.limits.callTimeoutMs;
    this.outstanding++;
    try {
      return (await this.peer.call(action, req, { callTimeoutMs: timeoutMs, ...(abort ? { signal: abort.signal } : {}) })) as OutgoingCalls[A]["conf"];
    } catch (err) {
      const rpcCode = (err as { rpcErrorCode?: string }).rpcErrorCode;
      if (isRpcTimeout(err)) {
        throw new AgentError("DEVICE_TIMEOUT", `charger ${this.chargePointId} did not answer ${action} within ${timeoutMs} ms`, { chargePointId: this.chargePointId, action });
      }
      if (abort?.signal.aborted) throw new AgentError("DEVICE_TIMEOUT", `charger ${this.chargePointId}: ${action} abandoned for a stop (not answered yet)`, { chargePointId: this.chargePointId, action, forStop: true });
      if (rpcCode !== undefined) {
        throw new AgentError("DEVICE_PROTOCOL", `charger ${this.chargePointId} answered ${action} with ${rpcCode}`, { chargePointId: this.chargePointId, action, rpcErrorCode: rpcCode }, { cause: err });
      }
      throw new AgentError("DEVICE_DISCONNECTED", `charger ${this.chargePointId}: ${action} not answered (connection lost)`, { chargePointId: this.chargePointId, action }, { cause: err });
    } finally {
      this.outstanding--;
      if (urgent && --this.urgent === 0) for (const resolve of this.stopsSettled.splice(0)) resolve();
      if (abort && this.optionalInFlight === abort) this.optionalInFlight = undefined;
      this.nextOptional();
    }
  }

  /** Resolves once no stop is queued or in flight (at once if none): an optional call skipped for one may be tried again then. */
  afterStops(): Promise<void> {
    if (this.urgent === 0) return Promise.resolve();
    return new Promise((resolve) => this.stopsSettled.push(resolve));
  }

  /** The link's optional slot, claimed now or when the link is idle; rejects (nothing sent) while a stop is queued or in flight. */
  private idleForOptional(action: string): Promise<AbortController> {
    if (this.urgent > 0) return Promise.reject(this.skipped(action));
    if (this.outstanding === 0 && !this.optionalInFlight && this.optionalWaiting.length === 0) return Promise.resolve((this.optionalInFlight = new AbortController()));
    return new Promise((resolve, reject) => this.optionalWaiting.push({ go: resolve, skip: reject }));
  }

  private nextOptional(): void {
    if (this.outstanding > 0 || this.optionalInFlight || this.urgent > 0) return;
    this.optionalWaiting.shift()?.go((this.optionalInFlight = new AbortController()));
  }

  private skipped(action: string): AgentError {
    return new AgentError("DEVICE_REJECTED", `charger ${this.chargePointId}: ${action} not sent (a stop goes first)`, { chargePointId: this.chargePointId, action, forStop: true });
  }

  /**
   * Closes with a close frame; a charger that does not answer it within CLOSE_HANDSHAKE_MS (its
   * network vanished: the connection is half-open) is cut off, instead of holding the agent's
   * shutdown for ws's 30 s closing handshake. Nothing is lost: what it did not get an answer to
   * stays in its own queue.
   */
  async close(code: number, reason: string): Promise<void> {
    if (this.closing) return this.closed;
    this.closing = true;
    const waiting = this.pacing;
    this.pacing = undefined;
    waiting?.cancel();
    waiting?.resolve(false);
    this.closed = new Promise<void>((resolve) => {
      const cancel = this.scheduler.setTimer(CLOSE_HANDSHAKE_MS, () => {
        this.log.info("charger_close_forced", { chargePointId: this.chargePointId, afterMs: CLOSE_HANDSHAKE_MS });
        // ocpp-rpc ignores a second close() while closing: the socket itself is cut.
        this.peer.handshake.request.socket.destroy();
        resolve();
      });
      this.peer.close({ code, reason }).catch(() => undefined).finally(() => (cancel(), resolve()));
    });
    return this.closed;
  }

  private admit(action: string, run: () => Promise<unknown> | unknown): Promise<unknown> {
    // A refused call is left unanswered (NOREPLY), never answered with a CALLERROR: a charger gives
    // up on a transaction message after a few CALLERRORs, but keeps an unanswered one queued.
    if (this.closing) return Promise.resolve(NOREPLY);
    const why = this.queued >= this.limits.maxQueuedCalls ? `more than ${this.limits.maxQueuedCalls} calls waiting` : undefined;
    if (why) {
      this.floodClose(action, why);
      return Promise.resolve(NOREPLY);
    }
    this.queued++;
    const result = this.queue.then(() => this.paced(action)).then((go) => (go ? run() : NOREPLY));
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result.finally(() => this.queued--);
  }

  /** Waits for the call's work token (call-pacer.ts); false: not to be run (the link closed, or closed now as a flood). */
  private paced(action: string): Promise<boolean> | boolean {
    if (this.closing) return false;
    const waitMs = this.pacer.reserve();
    if (waitMs === 0) {
      this.pacedCalls = 0;
      return true;
    }
    if (this.pacer.flooding()) {
      this.floodClose(action, `kept the agent busy above ${this.limits.maxCallsPerSecond} calls per second for more than ${this.pacer.maxBusyMs / 1000} s`);
      return false;
    }
    if (this.pacedCalls++ % 100 === 0) this.log.warn("charger_paced", { chargePointId: this.chargePointId, action, waitMs, slowed: this.pacedCalls, busyForMs: this.pacer.saturatedForMs(), note: `above ${this.limits.maxCallsPerSecond} calls per second: answers slowed down (logged once per 100)` });
    return new Promise<boolean>((resolve) => {
      const cancel = this.scheduler.setTimer(waitMs, () => {
        this.pacing = undefined;
        resolve(!this.closing);
      });
      this.pacing = { cancel, resolve };
    });
  }

  /** A frame a compliant charger never sends (see the header): a token of its id's bucket; none left closes the link (1008). */
  private countCall(action: string): void {
    if (this.closing || this.bucket.take()) return;
    this.floodClose(action, `more than ${this.limits.maxCallsPerSecond} pipelined calls, bad frames or unsolicited responses per second`);
  }

  private floodClose(action: string, why: string): void {
    const first = this.bucket.flooded();
    this.log.warn("charger_flood", { chargePointId: this.chargePointId, action, why, queued: this.queued, lockedForMs: this.bucket.lockedForMs() });
    this.onFlood(why, first);
    void this.close(CLOSE.flood, why);
  }
}
