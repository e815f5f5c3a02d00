// The engine's boundary with the dispenser: the flows' dispenser effects go out (authorize, stop,
// read the sale record) and come back as the input each flow expects; dispenser events come in and
// are routed to the flow they belong to. A failing dispenser is an answer ("ok: false", "failed"),
// never a throw: the flow decides what a refused authorization or an unreadable record means.
import type { DispenserController, DispenserEvent } from "../../contracts/dispenser.ts";
import type { Effect } from "../core/effects.ts";
import type { FlowInput } from "../core/inputs.ts";
import type { Logger } from "../../base/log.ts";
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
  /**
   * A progress or END of a transaction no running flow owns (its flow finished, or this journal
   * never knew it): fuel nobody settles — the engine stops the point and tells a technician.
   */
  orphanSale(e: Extract<DispenserEvent, { type: "progress" | "end" }>): void;
  /** The flow currently serving a point. */
  activeOn(point: number): FlowRunner | undefined;
  /** Whether `flowId` is a flow of this journal that has finished (the recent ones the engine keeps). */
  finishedFlow?(flowId: string): boolean;
  /** Every running flow (a link change concerns those on the controller's points). */
  running(): Iterable<FlowRunner>;
  /**
   * A device fault is always an alarm a technician sees (ctl alarms), whether or not a flow is
   * concerned — a PTS-2 price mismatch names no point, an OCPP connector fault may come while idle.
   */
  deviceAlarm(alarm: { readonly point?: number; readonly flowId?: string; readonly code: string; readonly message: string }): void;
  readonly logger: Logger;
}

function pointOf(r: FlowRunner | undefined): number | undefined {
  const s = r?.state;
  return s && "point" in s && typeof s.point === "number" ? s.point : undefined;
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
    case "progress": {
      const r = routes.byTransaction(e.transactionId);
      if (r) void r.feed({ type: "progress", milli: e.milli, amountMinor: e.amountMinor });
      else routes.orphanSale(e);
      return;
    }
    case "end": {
      const r = routes.byTransaction(e.transactionId);
      if (r) void r.feed({ type: "end", gradeId: e.gradeId, milli: e.milli, amountMinor: e.amountMinor, unitPriceMinor: e.unitPriceMinor, reason: e.reason });
      else routes.orphanSale(e);
      return;
    }
    case "fault": {
      const r = e.transactionId !== undefined ? routes.byTransaction(e.transactionId) : e.point !== null ? routes.activeOn(e.point) : undefined;
      const point = e.point ?? pointOf(r);
      // A fault naming a transaction names its flow (the driver's transactionId IS the flow id), also
      // when the flow has finished: a charger's late StopTransaction is told after the settlement, and
      // its money alarm is kept by that flow (review 9 final 2: it had no flow, and a restart lost it).
      // Only a flow the engine knows (review 9 final 3: a board's FAULT with a made-up txid wrote
      // kept money alarms for flows that never existed, raised at every start) — or one the driver's
      // own durable book holds (review 13c C2: the engine lists only its last 200 finished flows).
      const known = e.transactionId !== undefined && (routes.finishedFlow?.(e.transactionId) === true || e.flowSession === true);
      const flowId = r?.flowId ?? (known ? e.transactionId : undefined);
      routes.deviceAlarm({
        ...(point !== undefined ? { point } : {}),
        ...(flowId !== undefined ? { flowId } : {}),
        code: `device-fault-${e.code}`,
        message: `${e.controller ? `controller ${e.controller}: ` : ""}${e.message}`,
      });
      if (r) void r.feed({ type: "fault", code: e.code });
      return;
    }
    case "link":
      routes.logger.info("dispenser_link", { up: e.up, ...(e.controller ? { controller: e.controller } : {}) });
      for (const r of routes.running()) {
        const point = pointOf(r);
        if (e.points === undefined || (point !== undefined && e.points.includes(point))) void r.feed({ type: "link", up: e.up });
      }
      return;
    default: {
      const never: never = e;
      routes.logger.warn("dispenser_event_unknown", { event: never });
    }
  }
}
