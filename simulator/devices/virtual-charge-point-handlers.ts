// What a virtual charge point answers to the central system's requests (RemoteStart/Stop,
// configuration, TriggerMessage, Reset) — strict mode has validated each request already. Apart
// from the charger (virtual-charge-point.ts), which owns the connectors these act on.
import type { Scheduler } from "../../base/clock.ts";
import type { ChargePointStatus, StopReason } from "../../drivers/ocpp16/messages.ts";
import type { RpcCall, RpcClient } from "../../drivers/ocpp16/rpc.ts";
import type { Connector, VirtualChargePointEvent } from "./virtual-charge-point-types.ts";

/** The charger as its request handlers see it. */
export interface ChargePointSide {
  readonly scheduler: Scheduler;
  readonly configuration: Map<string, string>;
  readonly connectors: ReadonlyMap<number, Connector>;
  readonly ignoreRemoteStop: boolean;
  needsBoot: boolean;
  emit(e: VirtualChargePointEvent): void;
  connector(id: number): Connector;
  beginTransaction(c: Connector, idTag: string): Promise<void>;
  endTransaction(c: Connector, reason: StopReason): void;
  sendStatus(connectorId: number, status: ChargePointStatus, errorCode: string): Promise<void>;
  call(action: string, params: Record<string, unknown>): Promise<Record<string, unknown>>;
  meterValues(c: Connector, context: "Sample.Periodic" | "Trigger"): Record<string, unknown>;
  afterConnect(): Promise<void>;
  reboot(): Promise<void>;
}

export function registerHandlers(rpc: RpcClient, cp: ChargePointSide): void {
  const on = (action: string, handler: (params: Record<string, unknown>) => unknown) =>
    rpc.handle(action, ({ params }: RpcCall) => {
      cp.emit({ type: "request", action, params });
      return handler(params as Record<string, unknown>);
    });
  on("RemoteStartTransaction", (p) => {
    const c = cp.connectors.get(typeof p.connectorId === "number" ? p.connectorId : 1);
    if (!c || c.tx || !c.plugged || c.status === "Faulted" || c.status === "Unavailable") return { status: "Rejected" };
    cp.scheduler.setTimer(0, () => void cp.beginTransaction(c, String(p.idTag)));
    return { status: "Accepted" };
  });
  on("RemoteStopTransaction", (p) => {
    const c = [...cp.connectors.values()].find((k) => k.tx?.ref.id === p.transactionId);
    if (!c) return { status: "Rejected" };
    if (!cp.ignoreRemoteStop) cp.scheduler.setTimer(0, () => c.tx?.ref.id === p.transactionId && cp.endTransaction(c, "Remote"));
    return { status: "Accepted" };
  });
  on("ChangeConfiguration", (p) => {
    const key = String(p.key);
    if (!cp.configuration.has(key)) return { status: "NotSupported" };
    cp.configuration.set(key, String(p.value));
    return { status: "Accepted" };
  });
  on("GetConfiguration", () => ({ configurationKey: [...cp.configuration].map(([key, value]) => ({ key, readonly: false, value })) }));
  on("TriggerMessage", (p) => {
    const connectorId = typeof p.connectorId === "number" ? p.connectorId : undefined;
    if (connectorId !== undefined && !cp.connectors.has(connectorId)) return { status: "Rejected" };
    const targets = connectorId !== undefined ? [cp.connector(connectorId)] : [...cp.connectors.values()];
    switch (p.requestedMessage) {
      case "StatusNotification":
        cp.scheduler.setTimer(0, () => targets.forEach((c) => void cp.sendStatus(c.id, c.status, c.errorCode).catch(() => undefined)));
        return { status: "Accepted" };
      case "MeterValues":
        cp.scheduler.setTimer(0, () => targets.forEach((c) => void cp.call("MeterValues", cp.meterValues(c, "Trigger")).catch(() => undefined)));
        return { status: "Accepted" };
      case "Heartbeat":
        cp.scheduler.setTimer(0, () => void cp.call("Heartbeat", {}).catch(() => undefined));
        return { status: "Accepted" };
      case "BootNotification":
        cp.needsBoot = true;
        cp.scheduler.setTimer(0, () => void cp.afterConnect());
        return { status: "Accepted" };
      default:
        return { status: "NotImplemented" };
    }
  });
  on("Reset", () => {
    cp.scheduler.setTimer(0, () => void cp.reboot());
    return { status: "Accepted" };
  });
}
