// The forecourt as physics: a controller board with points, nozzles, metering and sale records,
// behind the engine's DispenserController contract (drivers/dispenser/contract.ts). Written for
// the campaign (not the production point model) so it can misbehave: the link drops and events
// sent meanwhile are lost, a STOP can fail, be applied with its answer lost, or take effect late
// (the END arrives later), the board overruns its limit, a sale-record read fails. The pump keeps
// pumping whatever the agent believes: what it metered is the truth the invariants charge against.
import { AgentError } from "../../agent/errors.ts";
import type {
  AuthorizeCommand,
  ControllerInfo,
  DeliveryEndReason,
  DispenserController,
  DispenserEvent,
  Grade,
  PointId,
  PointStatus,
  SaleRecord,
} from "../../drivers/dispenser/contract.ts";
import type { WorldClock } from "./clock.ts";
import type { Generation } from "./glase-wire.ts";

export interface Tx {
  readonly id: string;
  readonly point: PointId;
  readonly limitMinor: number;
  readonly grade: Grade;
  milli: number;
  amountMinor: number;
  state: "authorized" | "delivering" | "finished";
  reason?: DeliveryEndReason;
  readonly authorizedAt: number;
  endedAt?: number;
}

export type StopFault = "fails" | "lost" | "late";

interface Point {
  readonly id: PointId;
  readonly grade: Grade;
  nozzleUp: boolean;
  tx?: Tx;
  overrunMilli: number;
  stopFaults: StopFault[];
  saleFails: number;
  authLost: number;
}

export interface DispenserHooks {
  /** The board accepted an authorization (a new sale); issued = clock stamp when the agent sent it. */
  authorized?(tx: Tx, issued: number): void;
  /** The board metered `milli` more on tx. */
  metered?(tx: Tx, milli: number): void;
  /** A sale ended on the board. */
  ended?(tx: Tx): void;
}

/** Price of `milli` thousandths at unitPrice per unit, rounded half up (the board's rounding). */
export function priceOfMilli(milli: number, unitPriceMinor: number): number {
  return Math.floor((milli * unitPriceMinor + 500) / 1000);
}

export class DispenserModel {
  readonly txs = new Map<string, Tx>();
  readonly points = new Map<PointId, Point>();
  linkUp = true;
  /** Every change of the link (mono time): the judge asks whether the board was reachable when. */
  readonly linkChanges: { readonly at: number; readonly up: boolean }[] = [];
  hooks: DispenserHooks = {};
  private listeners = new Set<{ gen: Generation; fn: (e: DispenserEvent) => void }>();

  constructor(
    private readonly clock: WorldClock,
    points: readonly { readonly id: PointId; readonly grade: Grade }[],
    /** Command round trip on the board link. */
    private readonly latencyMs = 20,
    /** A late STOP takes effect this long after it was sent. */
    readonly lateStopMs = 8_000,
  ) {
    for (const p of points) this.points.set(p.id, { id: p.id, grade: p.grade, nozzleUp: false, overrunMilli: 0, stopFaults: [], saleFails: 0, authLost: 0 });
  }

  /** Whether the link was down at some moment of [from, to]. */
  linkDownDuring(from: number, to: number): boolean {
    let up = true;
    for (const c of this.linkChanges) {
      if (c.at > to) break;
      if (c.at >= from && !c.up) return true;
      up = c.up;
      if (c.at >= from && c.up) return true; // it came up inside the window: it was down before
    }
    return !up;
  }

  point(id: PointId): Point {
    const p = this.points.get(id);
    if (!p) throw new Error(`no point ${id} in the dispenser model`);
    return p;
  }

  private emit(e: DispenserEvent): void {
    if (!this.linkUp && e.type !== "link") return; // sent while the link is down: lost
    for (const l of [...this.listeners]) if (l.gen.alive) l.fn(e);
  }

  setLink(up: boolean): void {
    if (this.linkUp === up) return;
    this.linkUp = up;
    this.linkChanges.push({ at: this.clock.mono, up });
    this.emit({ type: "link", up });
  }

  // ---- the forecourt ------------------------------------------------------------------------

  call(point: PointId, presetMinor?: number): void {
    const p = this.point(point);
    if (p.tx && p.tx.state !== "finished") return;
    this.emit({ type: "call", point, gradeId: p.grade.id, ...(presetMinor !== undefined ? { presetMinor } : {}) });
  }

  lift(point: PointId): void {
    const p = this.point(point);
    if (p.nozzleUp) return;
    p.nozzleUp = true;
    this.emit({ type: "nozzle", point, up: true, gradeId: p.grade.id });
  }

  /** Meters up to `milli` on the point's running sale; returns what flowed. */
  meter(point: PointId, milli: number): number {
    const p = this.point(point);
    const tx = p.tx;
    if (!tx || tx.state === "finished" || !p.nozzleUp || milli <= 0) return 0;
    const cap = Math.floor((tx.limitMinor * 1000 + 499) / tx.grade.unitPriceMinor) + p.overrunMilli;
    const flow = Math.min(milli, cap - tx.milli);
    if (flow > 0) {
      tx.state = "delivering";
      tx.milli += flow;
      tx.amountMinor = priceOfMilli(tx.milli, tx.grade.unitPriceMinor);
      this.hooks.metered?.(tx, flow);
      this.emit({ type: "progress", point, transactionId: tx.id, milli: tx.milli, amountMinor: tx.amountMinor });
    }
    if (tx.milli >= cap) this.end(p, "limit");
    return Math.max(0, flow);
  }

  hangUp(point: PointId): void {
    const p = this.point(point);
    if (!p.nozzleUp) return;
    p.nozzleUp = false;
    this.emit({ type: "nozzle", point, up: false, gradeId: p.grade.id });
    if (p.tx && p.tx.state === "delivering") this.end(p, "nozzle-down");
  }

  private end(p: Point, reason: DeliveryEndReason): void {
    const tx = p.tx;
    if (!tx || tx.state === "finished") return;
    tx.state = "finished";
    tx.reason = reason;
    tx.endedAt = this.clock.mono;
    this.hooks.ended?.(tx);
    this.emit({ type: "end", point: p.id, transactionId: tx.id, gradeId: tx.grade.id, milli: tx.milli, amountMinor: tx.amountMinor, unitPriceMinor: tx.grade.unitPriceMinor, reason });
  }

  private record(tx: Tx): SaleRecord {
    return {
      transactionId: tx.id,
      point: tx.point,
      state: tx.state,
      gradeId: tx.grade.id,
      milli: tx.milli,
      amountMinor: tx.amountMinor,
      unitPriceMinor: tx.grade.unitPriceMinor,
      limitMinor: tx.limitMinor,
      ...(tx.reason ? { reason: tx.reason } : {}),
    };
  }

  // ---- the board's command side, per engine generation -----------------------------------------

  /** A command travels the link; a dead generation never hears back. */
  private command<T>(gen: Generation, fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.clock.schedule(this.latencyMs, () => {
        if (!this.linkUp) return gen.alive && reject(new AgentError("DEVICE_DISCONNECTED", "dispenser link is down"));
        let out: T;
        try {
          out = fn();
        } catch (e) {
          return gen.alive && reject(e);
        }
        if (gen.alive) resolve(out);
      }, "dispenser");
    });
  }

  controller(gen: Generation): DispenserController {
    const timeout = (what: string) => new AgentError("DEVICE_TIMEOUT", `${what}: no reply from the board`);
    return {
      onEvent: (fn) => {
        const l = { gen, fn };
        this.listeners.add(l);
        return () => void this.listeners.delete(l);
      },
      hello: () => this.command(gen, (): ControllerInfo => ({ protocolVersion: "1.0", firmware: "model", points: this.points.size })),
      status: () =>
        this.command(gen, (): PointStatus[] =>
          [...this.points.values()].map((p) => ({ point: p.id, state: p.tx && p.tx.state !== "finished" ? p.tx.state : "idle", nozzleUp: p.nozzleUp }) as PointStatus),
        ),
      prices: () => this.command(gen, () => [...this.points.values()].map((p) => p.grade)),
      display: () => this.command(gen, () => undefined),
      close: async () => undefined,
      authorize: (cmd: AuthorizeCommand) => {
        const issued = this.clock.stamp();
        return this.command(gen, () => {
          const p = this.point(cmd.point);
          const known = this.txs.get(cmd.transactionId);
          if (known) {
            if (known.state === "finished") throw new AgentError("DEVICE_REJECTED", `transaction ${cmd.transactionId} already finished`);
          } else {
            if (p.tx && p.tx.state !== "finished") throw new AgentError("DEVICE_REJECTED", `point ${p.id} busy with ${p.tx.id}`);
            const tx: Tx = { id: cmd.transactionId, point: p.id, limitMinor: cmd.limitMinor, grade: p.grade, milli: 0, amountMinor: 0, state: "authorized", authorizedAt: this.clock.mono };
            p.tx = tx;
            this.txs.set(tx.id, tx);
            this.hooks.authorized?.(tx, issued);
          }
          if (p.authLost > 0) {
            p.authLost--;
            throw timeout("AUTH");
          }
        });
      },
      stop: (point: PointId) =>
        this.command(gen, () => {
          const p = this.point(point);
          const fault = p.stopFaults.shift();
          if (fault === "fails") throw timeout("STOP");
          if (fault === "late") {
            this.clock.schedule(this.lateStopMs, () => this.stopNow(p), "dispenser");
            throw timeout("STOP");
          }
          this.stopNow(p);
          if (fault === "lost") throw timeout("STOP");
        }),
      saleRecord: (transactionId: string) =>
        this.command(gen, () => {
          const tx = this.txs.get(transactionId);
          const p = tx ? this.points.get(tx.point) : undefined;
          if (p && p.saleFails > 0) {
            p.saleFails--;
            throw timeout("SALE");
          }
          return tx ? this.record(tx) : undefined;
        }),
    };
  }

  private stopNow(p: Point): void {
    if (p.tx && p.tx.state !== "finished") this.end(p, "stopped");
  }
}
