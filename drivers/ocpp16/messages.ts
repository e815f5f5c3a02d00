// The OCPP 1.6J payloads the driver reads and writes, typed after the official JSON schemas
// (which ocpp-rpc's strict mode enforces on every frame, both directions). Only the fields the
// agent uses are spelt out; the schemas remain the authority on what is valid.

export const OCPP16 = "ocpp1.6";

export type ChargePointStatus =
  | "Available"
  | "Preparing"
  | "Charging"
  | "SuspendedEVSE"
  | "SuspendedEV"
  | "Finishing"
  | "Reserved"
  | "Unavailable"
  | "Faulted";

export type StopReason =
  | "EmergencyStop"
  | "EVDisconnected"
  | "HardReset"
  | "Local"
  | "Other"
  | "PowerLoss"
  | "Reboot"
  | "Remote"
  | "SoftReset"
  | "UnlockCommand"
  | "DeAuthorized";

export type AuthorizationStatus = "Accepted" | "Blocked" | "Expired" | "Invalid" | "ConcurrentTx";

export interface IdTagInfo {
  readonly status: AuthorizationStatus;
}

export interface SampledValue {
  readonly value: string;
  readonly context?: string;
  readonly format?: "Raw" | "SignedData";
  readonly measurand?: string;
  readonly phase?: string;
  readonly location?: string;
  readonly unit?: string;
}

export interface MeterValue {
  readonly timestamp: string;
  readonly sampledValue: readonly SampledValue[];
}

export interface BootNotificationReq {
  readonly chargePointVendor: string;
  readonly chargePointModel: string;
  readonly chargePointSerialNumber?: string;
  readonly chargeBoxSerialNumber?: string;
  readonly firmwareVersion?: string;
}

export interface StatusNotificationReq {
  readonly connectorId: number;
  readonly errorCode: string;
  readonly status: ChargePointStatus;
  readonly info?: string;
  readonly timestamp?: string;
  readonly vendorId?: string;
  readonly vendorErrorCode?: string;
}

export interface AuthorizeReq {
  readonly idTag: string;
}

export interface StartTransactionReq {
  readonly connectorId: number;
  readonly idTag: string;
  readonly meterStart: number;
  readonly timestamp: string;
  readonly reservationId?: number;
}

export interface MeterValuesReq {
  readonly connectorId: number;
  readonly transactionId?: number;
  readonly meterValue: readonly MeterValue[];
}

export interface StopTransactionReq {
  readonly transactionId: number;
  readonly meterStop: number;
  readonly timestamp: string;
  readonly idTag?: string;
  readonly reason?: StopReason;
  readonly transactionData?: readonly MeterValue[];
}

export type TriggerableMessage = "BootNotification" | "Heartbeat" | "MeterValues" | "StatusNotification";

/** The central system's requests the agent sends, and what each answers. */
export interface OutgoingCalls {
  RemoteStartTransaction: { req: { connectorId: number; idTag: string }; conf: { status: "Accepted" | "Rejected" } };
  RemoteStopTransaction: { req: { transactionId: number }; conf: { status: "Accepted" | "Rejected" } };
  ChangeConfiguration: { req: { key: string; value: string }; conf: { status: "Accepted" | "Rejected" | "RebootRequired" | "NotSupported" } };
  TriggerMessage: { req: { requestedMessage: TriggerableMessage; connectorId?: number }; conf: { status: "Accepted" | "Rejected" | "NotImplemented" } };
}

/** The configuration keys the agent sets on every charger (OCPP 1.6 §9.1). */
export const METER_KEYS = {
  measurands: "MeterValuesSampledData",
  interval: "MeterValueSampleInterval",
  /** Seconds a charger waits, cable in, for the transaction to start before it gives up (Preparing → Available). */
  connectionTimeOut: "ConnectionTimeOut",
  /** A transaction whose StartTransaction the central system answered Invalid is stopped by the charger itself. */
  stopOnInvalidId: "StopTransactionOnInvalidId",
} as const;

/**
 * Keys that let a charger start a transaction without the agent (its Authorization Cache, local
 * authorization while offline, unknown ids while offline): all set to false — the agent never
 * wants a start it did not sell. Optional in OCPP 1.6: NotSupported means the charger lacks that
 * feature (nothing to turn off); Rejected is an alarm (charger-setup.ts).
 */
export const OFFLINE_AUTH_KEYS = ["AuthorizationCacheEnabled", "LocalAuthorizeOffline", "AllowOfflineTxForUnknownId"] as const;

/**
 * Keys that make a charger copy meter values into its StopTransaction (transactionData): every
 * MeterValueSampleInterval of the session (sampled) or every ClockAlignedDataInterval (aligned).
 * The agent reads none of it, and a long session's worth can outgrow maxFrameBytes (a close at
 * every reconnect, the meterStop never delivered): asked empty, else the register only. Optional:
 * a charger that refuses both keeps its own (the frame limit is sized for it; config.ts).
 */
export const STOP_TXN_DATA_KEYS = ["StopTxnSampledData", "StopTxnAlignedData"] as const;

export const ENERGY_REGISTER = "Energy.Active.Import.Register";
