// The two ways a Glase call fails, as the payment flows need to tell them apart:
// - GlaseError: the server answered, with a non-zero resultCode. Definite: we know what happened.
// - TransportError: no usable answer. `indefinite` is true when the request may have reached the
//   server (sent, then reset/timeout/5xx/unparsable reply): the flow must resolve it by reading
//   state, never by blind re-sending (contract §6.15).
import { AgentError } from "../../base/errors.ts";
import { classifyResult, resultName, type ResultClass } from "../../contracts/glase/result-codes.ts";

export class GlaseError extends AgentError {
  readonly resultCode: number;
  readonly resultName: string;
  readonly operation: string;
  readonly resultClass: ResultClass;

  constructor(operation: string, resultCode: number, context: Record<string, unknown> = {}) {
    const name = resultName(resultCode);
    super("GLASE_RESULT", `${operation} answered ${resultCode} ${name}`, { operation, resultCode, resultName: name, ...context });
    this.name = "GlaseError";
    this.resultCode = resultCode;
    this.resultName = name;
    this.operation = operation;
    this.resultClass = classifyResult(resultCode);
  }
}

export type TransportFailureKind =
  | "refused" // connection refused / host unreachable: the request never left — definite
  | "reset" // connection dropped after (part of) the request was written — indefinite
  | "timeout" // no answer within the call's timeout — indefinite
  | "aborted" // caller's AbortSignal fired; indefinite if the request had been written
  | "http-status" // HTTP 5xx / unexpected status — indefinite
  | "unparsable"; // answer was not a readable SOAP response — indefinite

export class TransportError extends AgentError {
  readonly kind: TransportFailureKind;
  readonly indefinite: boolean;
  readonly operation: string;

  constructor(
    operation: string,
    kind: TransportFailureKind,
    indefinite: boolean,
    message: string,
    context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super("GLASE_TRANSPORT", `${operation}: ${message}`, { operation, kind, indefinite, ...context }, options);
    this.name = "TransportError";
    this.kind = kind;
    this.indefinite = indefinite;
    this.operation = operation;
  }
}

export function isGlaseError(e: unknown, resultCode?: number): e is GlaseError {
  return e instanceof GlaseError && (resultCode === undefined || e.resultCode === resultCode);
}

export function isTransportError(e: unknown): e is TransportError {
  return e instanceof TransportError;
}

/** Glase certainly did not act: it answered with a result code, or the request never left. */
export function certainlyNotDone(e: unknown): boolean {
  return isGlaseError(e) || (isTransportError(e) && !e.indefinite);
}
