// The engine's boundary with the dispenser: the flows' dispenser effects go out (authorize, stop,
// read the sale record) and come back as the input each flow expects; dispenser events come in and
// are routed to the flow they belong to. A failing dispenser is an answer ("ok: false", "failed"),
// never a throw: the flow decides what a refused authorization or an unreadable record means.
import type { DispenserController, DispenserEvent } from "../../drivers/dispenser/contract.ts";
import type { Effect } from "../core/effects.ts";
import type { FlowInput } from "../core/inputs.ts";
import type { Logger } from "../log.ts";
import type { FlowRunner } from "./runner.ts";

export type DispenserEffect = Extract<Effect, { type: "authorize" | "stop" | "saleRecord" }>;

export async function performDispenserEffect(d: DispenserController | undefined, effect: DispenserEffect, flowId: string, logger: Logger): Promise<FlowInput> {
  switch (effect.type) {
    case "authorize":
      if (!d) return { type: "authorized", ok: false };
      return d.authorize({ point: effect.point, limitMinor: effect.limitMinor, currency: effect.currency, transactionId: effect.transactionId, ...(effect.gradeId ? { gradeId: effect.gradeId } : {}) }).then(
        () => ({ type: "authorized", ok: true }),
        (err: unknown) => (logger.warn("authorize_failed", { flowId, err }), { type: "authorized", ok: false }),
      );
    case "stop":
      if (!d) return { type: "stopped", ok: false };
      return d.stop(effect.point).then(
        () => ({ type: "stopped", ok: true }),
        () => ({ type: "stopped", ok: false }),
      );
    case "saleRecord":
      if (!d) return { type: "sale", record: null, failed: true };
      return d.saleRecord(effect.transactionId).then(
        (r) => ({ type: "sale", record: r ? { state: r.state, milli: r.milli, amountMinor: r.amountMinor, ...(r.gradeId ? { gradeId: r.gradeId } : {}), ...(r.unitPriceMinor !== undefined ? { unitPriceMinor: r.unitPriceMinor } : {}), ...(r.reason ? { reason: r.reason } : {}) } : null }),
        (err: unknown) => (logger.warn("sale_record_failed", { flowId, err }), { type: "sale", record: null, failed: true }),
      );
  }
}

/** Where the engine looks up the flow a dispenser event belongs to. */
export interface DispenserEventRoutes {
  /** A customer asks for a payment on a point (nozzle lifted / cable plugged / call button). */
  customerCall(point: number, gradeId: string | undefined, presetMinor: number | undefined): void;
  /** The flow whose flowId is the dispenser's transactionId. */
  byTransaction(transactionId: string): FlowRunner | undefined;
  /** The flow currently serving a point. */
  activeOn(point: number): FlowRunner | undefined;
  /** Every running flow (a link change concerns all of them). */
  running(): Iterable<FlowRunner>;
  readonly logger: Logger;
}

export function routeDispenserEvent(e: DispenserEvent, routes: DispenserEventRoutes): void {
  switch (e.type) {
    case "call":
      routes.customerCall(e.point, e.gradeId, e.presetMinor);
      return;
    case "nozzle": {
      const r = routes.activeOn(e.point);
      if (r) void r.feed({ type: "nozzle", up: e.up });
      return;
    }
    case "progress":
      void routes.byTransaction(e.transactionId)?.feed({ type: "progress", milli: e.milli, amountMinor: e.amountMinor });
      return;
    case "end":
      void routes
        .byTransaction(e.transactionId)
        ?.feed({ type: "end", gradeId: e.gradeId, milli: e.milli, amountMinor: e.amountMinor, unitPriceMinor: e.unitPriceMinor, reason: e.reason });
      return;
    case "fault": {
      const r = e.transactionId !== undefined ? routes.byTransaction(e.transactionId) : e.point !== null ? routes.activeOn(e.point) : undefined;
      if (r) void r.feed({ type: "fault", code: e.code });
      return;
    }
    case "link":
      routes.logger.info("dispenser_link", { up: e.up });
      for (const r of routes.running()) void r.feed({ type: "link", up: e.up });
      return;
    default: {
      const never: never = e;
      routes.logger.warn("dispenser_event_unknown", { event: never });
    }
  }
}
