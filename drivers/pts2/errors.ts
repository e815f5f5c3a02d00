// How a jsonPTS exchange fails, typed so the driver and its callers branch on fields, never on text:
// - PtsPacketError: the controller answered this packet with `Error: true` and a numeric `Code`
//   (the jsonPTS error table below). Definite: the controller saw the request and refused it.
// - PtsTransportError: no usable HTTP answer. `indefinite` is true when the request may have reached
//   the controller (written, then reset / timeout / 5xx / unreadable body): a PumpAuthorize that
//   failed like that is resolved by reading the transaction back, never by a blind re-send.
// Anything else that is wrong with an answer (bad shape, bad number) is AgentError DEVICE_PROTOCOL.
import { AgentError } from "../../base/errors.ts";

/**
 * The jsonPTS error codes we branch on (the controller's `Code` field). Numbers as in the vendor's
 * SDK result table (com.technotrade.pts2 `Result`); see docs/pts2.md for where each one matters.
 */
export const PTS_ERROR = {
  NOT_FOUND: 1, // request type unknown to this firmware
  INVALID_JSON_REQUEST: 2,
  JSON_REQUEST_IS_TOO_LONG: 5,
  NO_PERMISSIONS: 6, // the configured user lacks the permission for this request
  POWER_DOWN_DETECTED: 8,
  PUMP_NUMBER_OUT_OF_RANGE: 20,
  PUMP_TRANSACTION_NUMBER_OUT_OF_RANGE: 21,
  PUMP_TRANSACTION_NOT_FOUND: 22,
  TRANSACTION_NUMBER_NOT_MATCH: 27,
  TRANSACTION_NUMBER_ALREADY_EXIST: 28,
  NOZZLE_NUMBER_OUT_OF_RANGE: 33,
  DUPLICATED_AUTHORIZATION_REQUEST: 39,
  PUMP_BUSY_OTHER_USER: 40,
  PUMP_BUSY_OTHER_REQUEST_EXECUTED: 41,
  PUMP_BUSY_FILLING: 42,
  PUMP_NOT_IN_FILLING_PROCESS: 43,
  PUMP_IS_NOT_CONFIGURED: 52,
  PUMP_STATUS_NOT_END_OF_TRANSACTION: 69,
  REPEATED_AUTHORIZE_PUMP_PRICE_DIFFERENT: 78,
} as const;

/** Identifier of each jsonPTS error code, for logs and messages (the wire's `Message` token). */
const PTS_ERROR_NAMES: Readonly<Record<number, string>> = {
  1: "JSONPTS_ERROR_NOT_FOUND",
  2: "INVALID_JSON_REQUEST",
  3: "NO_DATA_ERROR",
  4: "NO_DATA_FOR_RESPONSE",
  5: "JSON_REQUEST_IS_TOO_LONG",
  6: "JSONPTS_ERROR_NO_PERMISSIONS",
  8: "JSONPTS_ERROR_POWER_DOWN_DETECTED",
  15: "JSONPTS_ERROR_INCORRECT_PUMPS_CONFIGURATION",
  17: "JSONPTS_ERROR_COULD_NOT_GET_DATETIME",
  18: "JSONPTS_ERROR_COULD_NOT_GET_PUMP_NUMBER",
  19: "JSONPTS_ERROR_COULD_NOT_GET_PUMP_TRANSACTION_NUMBER",
  20: "JSONPTS_ERROR_PUMP_NUMBER_OUT_OF_RANGE",
  21: "JSONPTS_ERROR_PUMP_TRANSACTION_NUMBER_OUT_OF_RANGE",
  22: "JSONPTS_ERROR_PUMP_TRANSACTION_NOT_FOUND",
  25: "JSONPTS_ERROR_COULD_NOT_GET_TRANSACTION_NUMBER",
  26: "JSONPTS_ERROR_TRANSACTION_NUMBER_OUT_OF_RANGE",
  27: "JSONPTS_ERROR_TRANSACTION_NUMBER_NOT_MATCH",
  28: "JSONPTS_ERROR_TRANSACTION_NUMBER_ALREADY_EXIST",
  29: "JSONPTS_ERROR_COULD_NOT_GET_NOZZLE_NUMBER",
  30: "JSONPTS_ERROR_COULD_NOT_GET_FUEL_GRADE_ID",
  33: "JSONPTS_ERROR_NOZZLE_NUMBER_OUT_OF_RANGE",
  34: "JSONPTS_ERROR_COULD_NOT_GET_TYPE",
  36: "JSONPTS_ERROR_TYPE_OUT_OF_RANGE",
  37: "JSONPTS_ERROR_COULD_NOT_GET_DOSE_VALUE",
  38: "JSONPTS_ERROR_COULD_NOT_GET_PRICE_VALUE",
  39: "JSONPTS_ERROR_DUPLICATED_AUTHORIZATION_REQUEST",
  40: "JSONPTS_ERROR_PUMP_BUSY_OTHER_USER",
  41: "JSONPTS_ERROR_PUMP_BUSY_OTHER_REQUEST_EXECUTED",
  42: "JSONPTS_ERROR_PUMP_BUSY_FILLING",
  43: "JSONPTS_ERROR_PUMP_NOT_IN_FILLING_PROCESS",
  46: "JSONPTS_ERROR_USER_NOT_MATCH",
  52: "JSONPTS_ERROR_PUMP_IS_NOT_CONFIGURED",
  69: "JSONPTS_ERROR_PUMP_STATUS_NOT_END_OF_TRANSACTION",
  78: "JSONPTS_ERROR_REPEATED_AUTHORIZE_PUMP_PRICE_DIFFERENT",
};

export function ptsErrorName(code: number | undefined): string {
  return code === undefined ? "UNKNOWN" : (PTS_ERROR_NAMES[code] ?? `JSONPTS_ERROR_${code}`);
}

/** The code for a wire error identifier, for firmwares that send `Message` without `Code`. */
export function ptsErrorCodeOf(identifier: string): number | undefined {
  for (const [code, name] of Object.entries(PTS_ERROR_NAMES)) if (name === identifier) return Number(code);
  return undefined;
}

export class PtsPacketError extends AgentError {
  /** The controller's numeric error code; undefined when it gave none we could read. */
  readonly ptsCode: number | undefined;
  readonly packetType: string;

  constructor(packetType: string, ptsCode: number | undefined, context: Record<string, unknown> = {}) {
    const name = ptsErrorName(ptsCode);
    super("DEVICE_REJECTED", `controller refused ${packetType}: ${ptsCode ?? "?"} ${name}`, { packetType, ptsCode, ptsError: name, ...context });
    this.name = "PtsPacketError";
    this.ptsCode = ptsCode;
    this.packetType = packetType;
  }
}

export type PtsTransportKind =
  | "refused" // no connection (refused, unreachable, DNS, TLS handshake): never reached the controller
  | "auth" // HTTP 401/403 after our credentials: the controller did not run it
  | "reset" // connection dropped after the request was written
  | "timeout" // no complete answer within the request timeout
  | "http-status" // an unexpected HTTP status (5xx, …)
  | "unreadable"; // the body is not a jsonPTS answer

export class PtsTransportError extends AgentError {
  readonly kind: PtsTransportKind;
  /** True when the controller may have executed the request. */
  readonly indefinite: boolean;

  constructor(kind: PtsTransportKind, indefinite: boolean, message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(indefinite ? "DEVICE_TIMEOUT" : "DEVICE_DISCONNECTED", message, { kind, indefinite, ...context }, options);
    this.name = "PtsTransportError";
    this.kind = kind;
    this.indefinite = indefinite;
  }
}

export function isPtsPacketError(e: unknown, ptsCode?: number): e is PtsPacketError {
  return e instanceof PtsPacketError && (ptsCode === undefined || e.ptsCode === ptsCode);
}

export function isPtsTransportError(e: unknown): e is PtsTransportError {
  return e instanceof PtsTransportError;
}
