// The shape of a virtual OCPP charge point (virtual-charge-point.ts): its options, the events a
// test watches, and its connectors with their local transactions. Apart so the charger and its
// answers to the central system (virtual-charge-point-handlers.ts) share them.
import type { Scheduler } from "../../base/clock.ts";
import type { Logger } from "../../base/log.ts";
import type { ChargePointStatus } from "../../drivers/ocpp16/messages.ts";
import type { QueuedTransaction } from "./virtual-charge-point-queue.ts";

export interface VirtualChargePointOptions {
  /** The central system's URL without the id, e.g. ws://127.0.0.1:9220/ocpp. */
  readonly endpoint: string;
  readonly identity: string;
  /** Basic-auth password (security profiles 1 and 2). */
  readonly password?: string;
  readonly connectors?: number;
  /** Power while charging (W), every connector. Default 11000. */
  readonly powerW?: number;
  /** Energy register at start (Wh), every connector. Default 1_000_000. */
  readonly registerWh?: number;
  /** Real milliseconds per charger second. Default 1000. */
  readonly secondMs?: number;
  readonly scheduler?: Scheduler;
  /** Delay before reconnecting after the connection dropped (ms). Default 500. */
  readonly reconnectMs?: number;
  /** AuthorizeRemoteTxRequests: send Authorize before a remotely started transaction. */
  readonly authorizeRemoteStart?: boolean;
  /** TLS options for wss (e.g. { ca }). */
  readonly wsOpts?: Record<string, unknown>;
  readonly callTimeoutMs?: number;
  readonly logger?: Logger;
}

export type VirtualChargePointEvent =
  | { readonly type: "request"; readonly action: string; readonly params: unknown }
  | { readonly type: "answered"; readonly action: string; readonly params: unknown; readonly answer: unknown }
  | { readonly type: "connected" }
  | { readonly type: "disconnected"; readonly code: number }
  | { readonly type: "frame"; readonly outbound: boolean; readonly text: string };

export interface LocalTransaction {
  readonly ref: QueuedTransaction;
  readonly idTag: string;
  readonly meterStart: number;
}

export interface Connector {
  readonly id: number;
  status: ChargePointStatus;
  errorCode: string;
  registerWh: number;
  powerW: number;
  plugged: boolean;
  tx?: LocalTransaction;
  /** Status changed while offline: reported on reconnect. */
  dirty: boolean;
}
