// One SOAP request → one outcome. Routes on the body element's namespace URI and local name
// (never prefixes or SOAPAction, §1.1); applies injected faults; turns malformed input into a
// `soap:Client` fault and our own failures into `soap:Server` (no stack traces on the wire).
import { setTimeout as delay } from "node:timers/promises";
import { createLogger } from "../../base/log.ts";
import { GLASE_NAMESPACE, SOAP_ENVELOPE_NAMESPACE } from "../../contracts/glase/types.ts";
import { canonicalOperation, errorReturn, OPERATIONS, type OperationMeta } from "./soap-operations.ts";
import { UnmarshalError } from "./soap-request.ts";
import { faultEnvelope, responseEnvelope } from "./soap-response.ts";
import type { GlaseSimulator } from "./simulator.ts";
import { checkStrict } from "./strict.ts";
import { child, parseXml, XmlSyntaxError, type XmlElement } from "./xml.ts";

const log = createLogger("glase-sim");

export type SoapOutcome = { kind: "reply"; status: number; body: string } | { kind: "drop" };

const reply = (status: number, body: string): SoapOutcome => ({ kind: "reply", status, body });
const clientFault = (message: string) => reply(500, faultEnvelope("Client", message));

/** A body that is not XML at all, for the "malformed" fault kind. */
const MALFORMED = `<soap:Envelope xmlns:soap="${SOAP_ENVELOPE_NAMESPACE}"><soap:Body><ns2:broken xmlns:ns2="${GLASE_NAMESPACE}"><return><resultCode>0</resultCode></ret`;

function wrapperOf(root: XmlElement): XmlElement | string {
  if (root.local !== "Envelope" || root.ns !== SOAP_ENVELOPE_NAMESPACE) {
    return `not a SOAP 1.1 envelope: root element {${root.ns ?? ""}}${root.local}`;
  }
  const body = root.children.find((c) => c.local === "Body" && c.ns === SOAP_ENVELOPE_NAMESPACE);
  if (!body) return "SOAP envelope has no Body";
  const wrapper = body.children[0];
  if (!wrapper) return "SOAP Body is empty";
  return wrapper;
}

/** Counters the crash tests read from the dump: every request naming an invoice counts, whatever its result. */
function countCall(sim: GlaseSimulator, operation: string, wrapper: XmlElement): void {
  if (operation !== "commitReservation" && operation !== "updateInvoice") return;
  const ref = child(wrapper, "invoiceReference")?.text.trim();
  const inv = ref ? sim.invoice(ref) : undefined;
  if (!inv) return;
  if (operation === "commitReservation") inv.commitCalls++;
  else inv.updateCalls++;
}

function process(sim: GlaseSimulator, operation: string, wrapper: XmlElement, meta: OperationMeta): SoapOutcome {
  try {
    if (sim.settings.strictUnmarshalling) checkStrict(operation, wrapper);
    return reply(200, responseEnvelope(operation, OPERATIONS[operation]!(sim, wrapper, meta)));
  } catch (e) {
    if (e instanceof UnmarshalError) return clientFault(e.message);
    log.error("operation_failed", { operation, error: e });
    return reply(500, faultEnvelope("Server", `internal error in ${operation}`));
  }
}

export async function handleSoap(sim: GlaseSimulator, body: string, meta: OperationMeta): Promise<SoapOutcome> {
  let root: XmlElement;
  try {
    root = parseXml(body);
  } catch (e) {
    if (e instanceof XmlSyntaxError) return clientFault(`Unmarshalling Error: ${e.message}`);
    throw e;
  }
  const wrapper = wrapperOf(root);
  if (typeof wrapper === "string") return clientFault(wrapper);
  const operation = wrapper.ns === GLASE_NAMESPACE ? canonicalOperation(wrapper.local) : undefined;
  if (!operation) return clientFault(`Unexpected wrapper element {${wrapper.ns ?? ""}}${wrapper.local} found. Expected one of the operations of ${GLASE_NAMESPACE}`);

  countCall(sim, operation, wrapper);
  const named = child(wrapper, "invoiceReference")?.text.trim();
  const fault = sim.faults.take(operation, named ? sim.invoice(named)?.status : undefined);
  if (!fault) return process(sim, operation, wrapper, meta);
  log.debug("fault_injected", { operation, kind: fault.kind, resultCode: fault.resultCode, afterProcessing: fault.afterProcessing });
  switch (fault.kind) {
    case "result":
      // afterProcessing: the operation happened, then the server answered an error code anyway.
      if (fault.afterProcessing) process(sim, operation, wrapper, meta);
      return reply(200, responseEnvelope(operation, errorReturn(operation, fault.resultCode)));
    case "latency":
      await delay(fault.latencyMs);
      return process(sim, operation, wrapper, meta);
    case "http500":
    case "drop":
    case "malformed": {
      if (fault.afterProcessing) process(sim, operation, wrapper, meta);
      if (fault.kind === "drop") return { kind: "drop" };
      if (fault.kind === "malformed") return reply(200, MALFORMED);
      return reply(500, faultEnvelope("Server", "injected fault"));
    }
  }
}
