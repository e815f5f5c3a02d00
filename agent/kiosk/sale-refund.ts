// The refund of a kiosk sale whose release failed, EXACTLY once. The refund flow's id is fixed by
// the sale (sale-record.ts refundFlowId), and the engine journals a flow before its first Glase
// call, so:
//   - a refund flow with that id in the journal ⇒ it was started: only its own end counts (the
//     engine recovers it after a crash like any refund); never a second one;
//   - none ⇒ it was never sent: start it (through the RefundGuard, which also checks it fits in
//     what is left of the payment and serialises it with technicians' refunds of that payment).
// One settle() per sale runs at a time (the host makes sure), and the journal is read again inside
// the guard's critical section, so two starts of the same id cannot race either.
import type { Observable } from "rxjs";
import type { Scheduler } from "../../base/clock.ts";
import type { EngineEvent, RefundResult } from "../engine-api.ts";
import type { RefundGuard } from "../daemon/refund-guard.ts";
import type { Journal } from "../journal/types.ts";
import type { Logger } from "../../base/log.ts";

export interface RefundStarter {
  startRefund(req: { readonly point: number; readonly ersReference: string; readonly amountMinor: number; readonly flowId: string }): Promise<RefundResult>;
}

export interface SaleRefundRequest {
  readonly flowId: string;
  readonly point: number;
  readonly ersReference: string;
  readonly amountMinor: number;
  readonly paidMinor: number;
  readonly currency: string;
}

export type RefundEnd =
  | { readonly kind: "done"; readonly ersReference?: string }
  /** Glase refused it, or it does not fit in what is left of the payment: nothing was refunded. */
  | { readonly kind: "failed"; readonly why: string }
  /** The refund flow is parked (its outcome unknown): a technician decides; its end may still come. */
  | { readonly kind: "unknown" }
  | { readonly kind: "closed" };

interface RefundRowState {
  readonly outcome?: string;
  readonly refundReference?: string;
  readonly failCode?: number;
}

export interface SaleRefundsOptions {
  readonly journal: Journal;
  readonly engine: () => RefundStarter;
  readonly events$: Observable<EngineEvent>;
  readonly guard: RefundGuard;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  /** Between tries when the refund could not be started (terminal busy, engine swapping). Default 1000. */
  readonly retryMs?: number;
}

function endOf(finished: boolean, parked: boolean, state: RefundRowState): RefundEnd | undefined {
  if (parked) return { kind: "unknown" };
  if (!finished) return undefined;
  if (state.outcome === "refunded") return { kind: "done", ...(state.refundReference ? { ersReference: state.refundReference } : {}) };
  return { kind: "failed", why: state.failCode !== undefined ? `Glase refused the refund (${state.failCode})` : `refund ended ${state.outcome ?? "?"}` };
}

export class SaleRefunds {
  private closed = false;
  private readonly wakers = new Set<() => void>();

  constructor(private readonly o: SaleRefundsOptions) {}

  close(): void {
    this.closed = true;
    for (const w of this.wakers) w();
  }

  /** Resolves with how the sale's one refund ended (or is parked); starts it only if it never was. */
  async settle(req: SaleRefundRequest): Promise<RefundEnd> {
    for (;;) {
      if (this.closed) return { kind: "closed" };
      const ended = this.endOfFlow(req.flowId);
      try {
        const known = await this.recorded(req.flowId);
        if (known === "running") return await ended.promise;
        if (known) return known;
        let entered = false;
        try {
          const result = await this.o.guard.refund({ ersReference: req.ersReference, amountMinor: req.amountMinor, paidMinor: req.paidMinor, currency: req.currency }, async () => {
            entered = true;
            if ((await this.o.journal.flow(req.flowId)) !== undefined) return undefined; // started meanwhile: follow it
            return this.o.engine().startRefund({ point: req.point, ersReference: req.ersReference, amountMinor: req.amountMinor, flowId: req.flowId });
          });
          if (result) return { kind: "done", ...(result.refundErsReference ? { ersReference: result.refundErsReference } : {}) };
        } catch (err) {
          // The guard refuses before anything is sent: it does not fit in what is left of the payment.
          if (!entered) return { kind: "failed", why: err instanceof Error ? err.message : String(err) };
          const after = await this.recorded(req.flowId);
          if (after === "running") return await ended.promise; // e.g. the engine closed under it: the next one recovers it
          if (after) return after;
          // Not started (terminal busy with another refund/reconciliation, engine swapping): again later.
          this.o.logger.warn("kiosk_refund_retry", { flowId: req.flowId, err });
          await this.pause(this.o.retryMs ?? 1000);
        }
      } finally {
        ended.cancel();
      }
    }
  }

  /** Waits for the end (or parking) of a refund flow already known to be parked: a technician's decision. */
  async followParked(flowId: string): Promise<RefundEnd> {
    const ended = this.endOfFlow(flowId, true);
    try {
      const r = await this.o.journal.flow(flowId);
      const now = r ? endOf(r.finished, false, r.state as RefundRowState) : undefined;
      return now ?? (await ended.promise);
    } finally {
      ended.cancel();
    }
  }

  /** undefined: no such flow (never started); "running": started, not ended. */
  private async recorded(flowId: string): Promise<RefundEnd | "running" | undefined> {
    const r = await this.o.journal.flow(flowId);
    if (!r) return undefined;
    return endOf(r.finished, r.parked, r.state as RefundRowState) ?? "running";
  }

  private endOfFlow(flowId: string, finishedOnly = false): { promise: Promise<RefundEnd>; cancel: () => void } {
    let cancel = () => {};
    const promise = new Promise<RefundEnd>((resolve) => {
      const wake = () => resolve({ kind: "closed" });
      this.wakers.add(wake);
      const sub = this.o.events$.subscribe((e) => {
        if (e.type !== "flow" || e.flow.flowId !== flowId) return;
        if (!(e.flow.finished || (!finishedOnly && e.flow.parked))) return;
        void this.recorded(flowId).then((end) => end && end !== "running" && (!finishedOnly || end.kind !== "unknown") && resolve(end));
      });
      cancel = () => (sub.unsubscribe(), this.wakers.delete(wake));
    });
    return { promise, cancel };
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => (this.wakers.delete(done), stop(), resolve());
      const stop = this.o.scheduler.setTimer(ms, done);
      this.wakers.add(done);
    });
  }
}
