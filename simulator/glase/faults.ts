// Fault injection (§10 `/__sim/faults`): the next `count` calls of an operation (or "*") get a
// result code without processing, an HTTP 500, a dropped connection, malformed XML, or extra
// latency. `afterProcessing` applies the operation first and loses only the answer — the
// "indefinite" outcome the payment flows must survive (a commit that happened, answer lost).
import { AgentError } from "../../base/errors.ts";
import { ERS_ONLY_OPERATIONS, MERCHANT_OPERATIONS } from "../../contracts/glase/types.ts";

const OPERATIONS: ReadonlySet<string> = new Set([...MERCHANT_OPERATIONS, ...ERS_ONLY_OPERATIONS]);

export const FAULT_KINDS = ["result", "http500", "drop", "malformed", "latency"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSpec {
  operation: string;
  kind: FaultKind;
  resultCode: number;
  count: number;
  latencyMs: number;
  afterProcessing: boolean;
  /** Only calls naming an invoice in this status (e.g. the status read after a commit: "PAID"). */
  whenStatus?: string;
}

export interface FaultInput {
  /** Absent: the profile's default (strict: ambiguous faults are applied first, see defaultAfterProcessing). */
  operation?: unknown;
  resultCode?: unknown;
  count?: unknown;
  kind?: unknown;
  latencyMs?: unknown;
  afterProcessing?: unknown;
  whenStatus?: unknown;
}

function int(v: unknown, name: string, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) throw new AgentError("INPUT_INVALID", `${name} must be an integer ≥ ${min}`, { [name]: v });
  return v;
}

/**
 * The strict profile's reading: a fault that does not say "not processed" may have been processed.
 * Drops, HTTP 500 and unreadable answers, and 90 SYSTEM_ERROR (the unclassified code), are applied
 * before the answer is lost; codes with a defined meaning (11, 20, …) are not — nor 93/94 (busy,
 * backend unavailable) unless `busyApplied`: §5.8 does not say they were not processed either.
 */
function defaultAfterProcessing(kind: FaultKind, resultCode: number | undefined, profile: "default" | "strict", busyApplied: boolean): boolean {
  if (profile !== "strict") return false;
  if (kind === "result" && busyApplied && (resultCode === 93 || resultCode === 94)) return true;
  return kind === "drop" || kind === "http500" || kind === "malformed" || (kind === "result" && resultCode === 90);
}

export function parseFault(input: FaultInput, profile: "default" | "strict" = "default", busyApplied = false): FaultSpec {
  if (typeof input.operation !== "string" || !(input.operation === "*" || OPERATIONS.has(input.operation))) {
    throw new AgentError("INPUT_INVALID", 'operation must be a wire operation name (e.g. "commitReservation") or "*"', { operation: input.operation });
  }
  const kind = (input.kind ?? "result") as FaultKind;
  if (!FAULT_KINDS.includes(kind)) throw new AgentError("INPUT_INVALID", `kind must be one of ${FAULT_KINDS.join(", ")}`, { kind: input.kind });
  if (kind === "result" && input.resultCode === undefined) throw new AgentError("INPUT_INVALID", "resultCode is required for kind result");
  if (input.afterProcessing !== undefined && typeof input.afterProcessing !== "boolean") throw new AgentError("INPUT_INVALID", "afterProcessing must be a boolean");
  const code = typeof input.resultCode === "number" ? input.resultCode : undefined;
  const afterProcessing = input.afterProcessing === undefined ? defaultAfterProcessing(kind, code, profile, busyApplied) : input.afterProcessing;
  if (afterProcessing && kind === "latency") {
    throw new AgentError("INPUT_INVALID", "afterProcessing does not apply to latency (a delayed call is always processed)");
  }
  if (input.whenStatus !== undefined && (typeof input.whenStatus !== "string" || !/^[A-Z_]+$/.test(input.whenStatus))) {
    throw new AgentError("INPUT_INVALID", "whenStatus must be an invoice status such as PAID", { whenStatus: input.whenStatus });
  }
  return {
    operation: input.operation,
    kind,
    resultCode: int(input.resultCode, "resultCode", 90, 0),
    count: int(input.count, "count", 1, 1),
    latencyMs: int(input.latencyMs, "latencyMs", 0, 0),
    afterProcessing,
    ...(input.whenStatus !== undefined ? { whenStatus: input.whenStatus } : {}),
  };
}

export class FaultQueue {
  private faults: FaultSpec[] = [];

  add(spec: FaultSpec): void {
    this.faults.push({ ...spec });
  }

  clear(): void {
    this.faults = [];
  }

  /** Consumes one use of the first fault matching this operation (and the named invoice's status). */
  take(operation: string, invoiceStatus?: string): FaultSpec | undefined {
    if (this.faults.length === 0) return undefined;
    const i = this.faults.findIndex((f) => (f.operation === operation || f.operation === "*") && (f.whenStatus === undefined || f.whenStatus === invoiceStatus));
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    f.count--;
    if (f.count <= 0) this.faults.splice(i, 1);
    return f;
  }

  list(): FaultSpec[] {
    return this.faults.map((f) => ({ ...f }));
  }
}
