// The POS flow (kiosks, car washes, vending): sendInvoice → poll in 30 s windows → PAID → release →
// receipt. Started by the kiosk host or the technician socket on a point; holds its point until it
// ends; its calls use the point's terminal.
import { type PosStart, type PosState, startPos, transitionPos } from "../../core/pos.ts";
import type { InvoiceRow } from "../../../contracts/glase/types.ts";
import type { PointConfig } from "../../engine-api.ts";
import type { FlowKindDescriptor } from "./descriptor.ts";
import { onPoint, terminalTarget } from "./shared.ts";

const PAID_PHASES: ReadonlySet<PosState["phase"]> = new Set(["confirming", "releasing", "printing"]);

export const posFlow: FlowKindDescriptor<PosState, PosStart> = {
  kind: "pos",
  start: startPos,
  machine: transitionPos,
  journalKeys: (s) => ({ point: s.point, terminalId: s.terminalId }),
  holdsPoint: true,
  glaseTarget: terminalTarget,
  amountOf: (s) => s.amountMinor,
  ersReferenceOf: (s) => s.ersReference,
  pointView: (s) => ({ state: PAID_PHASES.has(s.phase) ? "paid" : "waiting-customer", amountMinor: s.amountMinor }),
  lostSendsOf: (s) => (s.lostSends ?? []).map((sentAt) => ({ origin: s.flowId, kind: "pos", point: s.point, amountMinor: s.amountMinor, sentAt, ...(s.ersReference !== undefined ? { collected: s.ersReference } : {}) })),
};

export function posStartFor(config: PointConfig, flowId: string, amountMinor: number, rows?: readonly InvoiceRow[]): PosStart {
  return {
    ...onPoint(config, flowId),
    pointKind: config.kind,
    amountMinor,
    ...(rows ? { rows } : {}),
  };
}
