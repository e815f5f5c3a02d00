// Maps whatever went wrong below the typed API to a TransportError with the `indefinite` flag the
// payment flows branch on (contract §6.15): the transport knows whether the request had left
// (WireFailure); anything soap or the decoder could not read from an HTTP 200 is "unparsable",
// indefinite, because the server did receive and probably process the request.
import { TransportError } from "./errors.ts";
import { WireFailure } from "./client-transport.ts";

export function toTransportError(operation: string, err: unknown, context: Record<string, unknown>): TransportError {
  if (err instanceof WireFailure) {
    return new TransportError(operation, err.kind, err.indefinite, err.message, { ...context, httpStatus: err.status }, { cause: err });
  }
  return new TransportError(operation, "unparsable", true, `unreadable answer: ${describe(err)}`, context, { cause: err });
}

/** soap throws Errors, but also plain `{ Fault: { faultstring, detail } }` objects on XML syntax errors. */
function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === "object" && err !== null && "Fault" in err) {
    const fault = (err as { Fault?: { faultstring?: unknown; detail?: unknown } }).Fault;
    return `${String(fault?.faultstring ?? "fault")}${fault?.detail ? `: ${String(fault.detail)}` : ""}`;
  }
  return String(err);
}
