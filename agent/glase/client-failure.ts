// Maps whatever went wrong below the typed API to a TransportError with the `indefinite` flag the
// payment flows branch on (contract §6.15): the transport knows whether the request had left
// (WireFailure); anything that could not be read from an HTTP 200 (XML syntax, a SOAP Fault,
// a missing <return> or resultCode) is "unparsable", indefinite, because the server did receive
// and probably process the request.
import { TransportError } from "./errors.ts";
import { WireFailure } from "./client-transport.ts";

export function toTransportError(operation: string, err: unknown, context: Record<string, unknown>): TransportError {
  if (err instanceof WireFailure) {
    return new TransportError(operation, err.kind, err.indefinite, err.message, { ...context, httpStatus: err.status }, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new TransportError(operation, "unparsable", true, `unreadable answer: ${message}`, context, { cause: err });
}
