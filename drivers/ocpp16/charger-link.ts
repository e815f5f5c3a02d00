// One charger's WebSocket connection as the driver uses it. Calls from the charger are processed
// one at a time in arrival order (a MeterValues never overtakes the StartTransaction before it,
// and each answer goes out only after its effect is durable). A charger that floods — more calls
// queued than allowed, or a sustained rate above the limit — is disconnected: the calls it did
// not get an answer to are still in its own queue and come again after it reconnects, so nothing
// is lost, and no other charger waits for it. The rate counts EVERY inbound CALL frame, also those
// ocpp-rpc answers itself before any handler runs (an unknown action: NotImplemented; a
// schema-invalid payload: a CALLERROR), so those cannot flood either. Outgoing calls are typed (messages.ts) and reject
// with AgentError codes.
import type { Scheduler } from "../../base/clock.ts";
import { AgentError } from "../../base/errors.ts";
import type { Logger } from "../../base/log.ts";
import type { OutgoingCalls } from "./messages.ts";
import { NOREPLY, type RpcHandshake, type RpcPeer } from "./rpc.ts";

export interface LinkLimits {
  readonly maxCallsPerSecond: number;
  readonly maxQueuedCalls: number;
  readonly callTimeoutMs: number;
}

export type InboundHandler = (params: unknown) => Promise<unknown> | unknown;

/** WebSocket close codes the driver uses. */
export const CLOSE = { replaced: 4000, flood: 1008, shutdown: 1001 } as const;

/** How long a charger has to answer our close frame before its connection is cut. */
export const CLOSE_HANDSHAKE_MS = 2_000;

export class ChargerLink {
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private tokens: number;
  private refilledAt: number;
  private closing = false;
  private closed: Promise<void> = Promise.resolve();

  constructor(
    readonly chargePointId: string,
    private readonly peer: RpcPeer & { readonly handshake: RpcHandshake },
    private readonly limits: LinkLimits,
    private readonly scheduler: Scheduler,
    private readonly log: Logger,
  ) {
    this.tokens = this.burst;
    this.refilledAt = scheduler.now();
    // Every inbound frame costs a token, whatever it is: ocpp-rpc emits "call" for a well-formed
    // CALL, "response" for a CALLRESULT/CALLERROR (ours, or one nobody asked for) and "badMessage"
    // for anything it cannot use (bad JSON, unknown type, non-string id) — its own bound on those
    // counts only consecutive ones, and every good frame resets it, so interleaving Heartbeats
    // would otherwise let a charger push megabytes of junk a second forever. The agent's own
    // calls are few: their answers fit in the bucket many times over.
    peer.on("call", ((e: { outbound: boolean; payload: unknown[] }) => {
      if (!e.outbound) this.countCall(String(e.payload[2]));
    }) as never);
    peer.on("response", ((e: { outbound: boolean }) => {
      if (!e.outbound) this.countCall("(response)");
    }) as never);
    peer.on("badMessage", (() => this.countCall("(bad frame)")) as never);
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

  async call<A extends keyof OutgoingCalls>(action: A, req: OutgoingCalls[A]["req"]): Promise<OutgoingCalls[A]["conf"]> {
    if (!this.open) throw new AgentError("DEVICE_DISCONNECTED", `charger ${this.chargePointId} is not connected`, { chargePointId: this.chargePointId, action });
    try {
      return (await this.peer.call(action, req, { callTimeoutMs: this.limits.callTimeoutMs })) as OutgoingCalls[A]["conf"];
    } catch (err) {
      const name = (err as { name?: string }).name;
      const rpcCode = (err as { rpcErrorCode?: string }).rpcErrorCode;
      if (name === "TimeoutError") {
        throw new AgentError("DEVICE_TIMEOUT", `charger ${this.chargePointId} did not answer ${action} within ${this.limits.callTimeoutMs} ms`, { chargePointId: this.chargePointId, action });
      }
      if (rpcCode !== undefined) {
        throw new AgentError("DEVICE_PROTOCOL", `charger ${this.chargePointId} answered ${action} with ${rpcCode}`, { chargePointId: this.chargePointId, action, rpcErrorCode: rpcCode }, { cause: err });
      }
      throw new AgentError("DEVICE_DISCONNECTED", `charger ${this.chargePointId}: ${action} not answered (connection lost)`, { chargePointId: this.chargePointId, action }, { cause: err });
    }
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

  private get burst(): number {
    return Math.max(4, Math.ceil(this.limits.maxCallsPerSecond * 4));
  }

  private admit(action: string, run: () => Promise<unknown> | unknown): Promise<unknown> {
    // A refused call is left unanswered (NOREPLY), never answered with a CALLERROR: a charger gives
    // up on a transaction message after a few CALLERRORs, but keeps an unanswered one queued.
    if (this.closing) return Promise.resolve(NOREPLY);
    const why = this.queued >= this.limits.maxQueuedCalls ? `more than ${this.limits.maxQueuedCalls} calls waiting` : undefined;
    if (why) {
      this.log.warn("charger_flood", { chargePointId: this.chargePointId, action, why, queued: this.queued });
      void this.close(CLOSE.flood, why);
      return Promise.resolve(NOREPLY);
    }
    this.queued++;
    const result = this.queue.then(run);
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result.finally(() => this.queued--);
  }

  /** One inbound frame (a CALL of any action, a response, a bad frame): a token of the rate limit; none left closes the link (1008). */
  private countCall(action: string): void {
    if (this.closing) return;
    const now = this.scheduler.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.limits.maxCallsPerSecond);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return;
    }
    const why = `more than ${this.limits.maxCallsPerSecond} frames per second`;
    this.log.warn("charger_flood", { chargePointId: this.chargePointId, action, why, queued: this.queued });
    void this.close(CLOSE.flood, why);
  }
}
