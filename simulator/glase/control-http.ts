// The control surface of contract §10 over HTTP+JSON under /__sim/ (paths and bodies exactly as
// §10, plus the documented extensions in docs/simulator.md). Errors answer JSON
// `{error, code}`: 400 bad input, 404 unknown invoice/terminal, 409 wrong state.
import { AgentError, isAgentError } from "../../base/errors.ts";
import type { GlaseSimulator } from "./simulator.ts";

type Json = Record<string, unknown>;
type Route = (sim: GlaseSimulator, body: Json) => unknown;

const POST_ROUTES: Record<string, Route> = {
  "/__sim/customer/scan": (sim, b) => sim.customerScan(b as Parameters<GlaseSimulator["customerScan"]>[0]),
  "/__sim/customer/confirm": (sim, b) => sim.customerConfirm({ invoiceReference: str(b.invoiceReference), hold: b.hold === true }),
  "/__sim/customer/settle": (sim, b) => sim.customerSettle({ invoiceReference: str(b.invoiceReference) }),
  "/__sim/customer/cancel": (sim, b) => sim.customerCancel({ invoiceReference: str(b.invoiceReference) }),
  "/__sim/customer/fail": (sim, b) => sim.customerFail({ invoiceReference: str(b.invoiceReference) }),
  "/__sim/faults": (sim, b) => sim.injectFault(b),
  "/__sim/clock": (sim, b) => sim.advanceClock(b.advanceSeconds as number),
  "/__sim/auto-customer": (sim, b) => sim.setAutoCustomer(b as Parameters<GlaseSimulator["setAutoCustomer"]>[0]),
  "/__sim/terminal/block": (sim, b) => {
    if (typeof b.blocked !== "boolean") throw new AgentError("INPUT_INVALID", "blocked must be a boolean");
    sim.setTerminalBlocked(str(b.terminalId) ?? "", b.blocked);
    return { terminalId: b.terminalId, blocked: b.blocked };
  },
};

const GET_ROUTES: Record<string, (sim: GlaseSimulator) => unknown> = {
  "/__sim/state": (sim) => sim.dump(),
  "/__sim/faults": (sim) => sim.faults.list(),
};

const DELETE_ROUTES: Record<string, (sim: GlaseSimulator) => unknown> = {
  "/__sim/faults": (sim) => {
    sim.clearFaults();
    return { cleared: true };
  },
};

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

const STATUS: Partial<Record<string, number>> = { INPUT_INVALID: 400, NOT_FOUND: 404, CONFLICT: 409 };

export interface ControlAnswer {
  status: number;
  json: unknown;
}

/** undefined = not a control route (someone else may handle the path). */
export function controlRoute(method: string, path: string): ((sim: GlaseSimulator, rawBody: string) => ControlAnswer) | undefined {
  const run = (fn: () => unknown): ControlAnswer => {
    try {
      return { status: 200, json: fn() };
    } catch (e) {
      if (isAgentError(e)) return { status: STATUS[e.code] ?? 500, json: { error: e.message, code: e.code } };
      return { status: 500, json: { error: "internal error", code: "INTERNAL" } };
    }
  };
  if (method === "POST" && Object.hasOwn(POST_ROUTES, path)) {
    return (sim, rawBody) =>
      run(() => {
        let body: unknown;
        try {
          body = rawBody.trim() === "" ? {} : JSON.parse(rawBody);
        } catch {
          throw new AgentError("INPUT_INVALID", "body is not JSON");
        }
        if (body === null || typeof body !== "object" || Array.isArray(body)) throw new AgentError("INPUT_INVALID", "body must be a JSON object");
        return POST_ROUTES[path]!(sim, body as Json);
      });
  }
  if (method === "GET" && Object.hasOwn(GET_ROUTES, path)) return (sim) => run(() => GET_ROUTES[path]!(sim));
  if (method === "DELETE" && Object.hasOwn(DELETE_ROUTES, path)) return (sim) => run(() => DELETE_ROUTES[path]!(sim));
  return undefined;
}
