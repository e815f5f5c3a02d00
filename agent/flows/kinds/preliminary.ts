// The preliminary flow (pumps, chargers): reserve → authorize the dispenser with that limit →
// meter → update + commit the metered amount. Started by a customer call on a fuel or EV point;
// holds its point until it ends; its calls use the point's terminal.
import { type PreliminaryStart, type PreliminaryState, startPreliminary, transitionPreliminary } from "../../core/preliminary.ts";
import type { PointConfig, PointDisplayState } from "../../engine-api.ts";
import type { FlowKindDescriptor } from "./descriptor.ts";
import { onPoint, terminalTarget } from "./shared.ts";

/**
 * Phases a technician stop ends sooner: a delivery stops and settles what was metered; a customer
 * not yet authorized is cancelled. Later phases are settling already.
 */
const BEFORE_SETTLING: ReadonlySet<PreliminaryState["phase"]> = new Set(["sending-invoice", "resolving-send", "awaiting-reservation", "authorizing", "authorized", "delivering"]);

export const preliminaryFlow: FlowKindDescriptor<PreliminaryState, PreliminaryStart> = {
  kind: "preliminary",
  start: startPreliminary,
  machine: transitionPreliminary,
  journalKeys: (s) => ({ point: s.point, terminalId: s.terminalId }),
  holdsPoint: true,
  glaseTarget: terminalTarget,
  amountOf: (s) => s.commitMinor ?? s.progress?.amountMinor ?? s.reserveMinor,
  ersReferenceOf: (s) => s.ersReference,
  drainInput: (s) => (BEFORE_SETTLING.has(s.phase) ? { type: "technician", action: "stop" } : undefined),
  pointView: (s) => ({
    state: displayOf(s.phase),
    ...optional("amountMinor", s.delivered?.amountMinor ?? s.progress?.amountMinor),
    ...optional("milli", s.delivered?.milli ?? s.progress?.milli),
  }),
  lostSendsOf: (s) => (s.lostSends ?? []).map((sentAt) => ({ origin: s.flowId, kind: "preliminary", point: s.point, amountMinor: s.reserveMinor, sentAt, ...ownPayment(s) })),
  ownPaymentUnknown: (s) => ownPayment(s).ownUnknown === true,
};

/**
 * What the watch knows of the sale's own payment: its ersReference, or — none known, but the fuel
 * was delivered, the commit went out or a technician settled it (review 8 #1) — that a PAID of its
 * clientInvoiceId may be its own.
 */
function ownPayment(s: PreliminaryState): { collected?: string; ownUnknown?: true } {
  if (s.ersReference !== undefined) return { collected: s.ersReference };
  const mayBePaid = s.outcome === "settled-manually" || s.commitSentAt !== undefined || (s.delivered?.amountMinor ?? 0) > 0;
  return mayBePaid ? { ownUnknown: true } : {};
}

/** A customer call on a fuel/EV point: reserve the preset (capped by the point's maximum) or the maximum. */
export function preliminaryStartFor(config: PointConfig, flowId: string, gradeId: string | undefined, presetMinor: number | undefined): PreliminaryStart {
  const reserve = presetMinor !== undefined && presetMinor > 0 ? Math.min(presetMinor, config.maxPreliminaryMinor) : config.maxPreliminaryMinor;
  return {
    ...onPoint(config, flowId),
    unit: config.kind === "ev" ? "kWh" : "L",
    grades: config.grades ?? [],
    ...(gradeId !== undefined ? { gradeId } : {}),
    reserveMinor: reserve,
  };
}

function optional<K extends string>(key: K, value: number | undefined): { [k in K]?: number } {
  return (value !== undefined ? { [key]: value } : {}) as { [k in K]?: number };
}

function displayOf(phase: PreliminaryState["phase"]): PointDisplayState {
  switch (phase) {
    case "sending-invoice":
    case "resolving-send":
    case "awaiting-reservation":
    case "canceling":
      return "waiting-customer";
    case "authorizing":
    case "authorized":
      return "authorized";
    case "delivering":
    case "stopping":
    case "checking-sale":
    case "securing": // settled, but the pump may still deliver: the flow is stopping it
      return "delivering";
    case "updating":
    case "committing":
    case "checking-commit":
    case "closing":
      return "settling";
    case "printing":
      return "paid";
    case "parked":
      return "parked";
    default:
      return "idle";
  }
}
