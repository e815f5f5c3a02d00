// The OCPP driver's virtual twin: one virtual charge point per configured charger, connecting to
// the real driver's listener over a real WebSocket on loopback, plus the simulated customers' way
// of charging (plug in, the car draws power once the agent starts the session, unplug at the
// customer's target or after the agent stopped the session).
import type { CustomerSite, OpenedController, StartedTwin, TwinContext, VirtualTwin } from "../../drivers/driver-module.ts";
import type { Ocpp16ControllerConfig } from "../../drivers/ocpp16/module.ts";
import { VirtualChargePoint } from "../devices/virtual-charge-point.ts";

interface Socket {
  readonly cp: VirtualChargePoint;
  readonly connectorId: number;
}

function customersOf(points: readonly number[], sockets: ReadonlyMap<number, Socket>, ctx: TwinContext): CustomerSite {
  const watchers = new Map<number, () => void>();
  const stopWatching = (point: number) => (watchers.get(point)?.(), watchers.delete(point));
  return {
    points,
    arrive: (point) => sockets.get(point)?.cp.plug(sockets.get(point)!.connectorId),
    onAuthorized: (fn) => {
      const offs = [...sockets].map(([point, s]) =>
        s.cp.onEvent((e) => {
          if (e.type === "request" && e.action === "RemoteStartTransaction" && (e.params as { connectorId?: number }).connectorId === s.connectorId) fn(point, undefined);
        }),
      );
      return () => offs.forEach((off) => off());
    },
    deliver: (point, o) => {
      const s = sockets.get(point);
      if (!s || o.milli === undefined) return; // the car charges until the agent stops the session
      stopWatching(point);
      const target = o.milli;
      const check = () => {
        const tx = s.cp.transaction(s.connectorId);
        if (tx && s.cp.registerWh(s.connectorId) - tx.meterStart >= target) {
          watchers.delete(point);
          s.cp.unplug(s.connectorId);
          return;
        }
        watchers.set(point, ctx.scheduler.setTimer(1_000, check));
      };
      watchers.set(point, ctx.scheduler.setTimer(1_000, check));
    },
    onEnd: (fn) => {
      // Transactions are told apart by id: StartTransaction's answer names it for a connector.
      const pointOfTx = new Map<number, number>();
      const offs = [...new Set([...sockets.values()].map((s) => s.cp))].map((cp) =>
        cp.onEvent((e) => {
          const params = e.type === "request" || e.type === "answered" ? (e.params as { connectorId?: number; transactionId?: number }) : {};
          if (e.type === "answered" && e.action === "StartTransaction") {
            const point = [...sockets].find(([, s]) => s.cp === cp && s.connectorId === params.connectorId)?.[0];
            const id = (e.answer as { transactionId?: number }).transactionId;
            if (point !== undefined && id !== undefined) pointOfTx.set(id, point);
          } else if (e.type === "request" && e.action === "RemoteStopTransaction" && params.transactionId !== undefined) {
            // The agent stopped the session: the customer unplugs and drives off.
            const point = pointOfTx.get(params.transactionId);
            const s = point !== undefined ? sockets.get(point) : undefined;
            if (point !== undefined && s) (stopWatching(point), ctx.scheduler.setTimer(2_000, () => s.cp.unplug(s.connectorId)));
          } else if (e.type === "answered" && e.action === "StopTransaction" && params.transactionId !== undefined) {
            const point = pointOfTx.get(params.transactionId);
            pointOfTx.delete(params.transactionId);
            if (point !== undefined) fn(point);
          }
        }),
      );
      return () => offs.forEach((off) => off());
    },
    leave: (point) => {
      stopWatching(point);
      const s = sockets.get(point);
      s?.cp.unplug(s.connectorId);
    },
  };
}

export const ocpp16Twin: VirtualTwin<Ocpp16ControllerConfig> = {
  async start(config, ctx): Promise<StartedTwin<Ocpp16ControllerConfig>> {
    const v = config.virtual ?? { powerW: 11_000, secondMs: 1000 };
    const chargePoints: VirtualChargePoint[] = [];
    const sockets = new Map<number, Socket>();
    // The listener moves to an ephemeral loopback port: nothing outside reaches a virtual station.
    const { virtual: _virtual, ...rest } = config;
    // Its chargers' seconds last v.secondMs: the driver scales their rated power to its real clock.
    const twinConfig: Ocpp16ControllerConfig = { ...rest, listen: { ...config.listen, host: "127.0.0.1", port: 0 }, chargerSecondMs: v.secondMs };
    return {
      config: twinConfig,
      async attach(opened: OpenedController) {
        if (!opened.listenUrl) throw new Error("the OCPP driver did not say where it listens");
        for (const ch of config.chargers) {
          const cp = new VirtualChargePoint({
            endpoint: opened.listenUrl,
            identity: ch.id,
            connectors: Math.max(...ch.connectors.map((k) => k.connectorId)),
            powerW: v.powerW,
            secondMs: v.secondMs,
            scheduler: ctx.scheduler,
            reconnectMs: 1_000,
            logger: ctx.logger.child(ch.id),
          });
          chargePoints.push(cp);
          for (const k of ch.connectors) sockets.set(k.point, { cp, connectorId: k.connectorId });
          await cp.connect();
        }
      },
      customers: customersOf(config.chargers.flatMap((ch) => ch.connectors.map((k) => k.point)), sockets, ctx),
      device: chargePoints,
      async close() {
        for (const cp of chargePoints) await cp.close();
      },
    };
  },
};
