// The lost-send watch of a terminal (agent/core/send-watch.ts): started by the engine when a flow
// ends while a sendInvoice of its may still land (agent/engine/send-watches.ts). Holds no point —
// the next customer may start there at once; its calls use the terminal's credentials.
import { type SendWatchStart, type SendWatchState, startSendWatch, transitionSendWatch } from "../../core/send-watch.ts";
import type { FlowKindDescriptor } from "./descriptor.ts";
import { terminalTarget } from "./shared.ts";

export const sendWatchFlow: FlowKindDescriptor<SendWatchState, SendWatchStart> = {
  kind: "send-watch",
  start: startSendWatch,
  machine: transitionSendWatch,
  journalKeys: (s) => ({ terminalId: s.terminalId }),
  holdsPoint: false,
  glaseTarget: terminalTarget,
  amountOf: (s) => (s.lost.length > 0 ? Math.max(...s.lost.map((l) => l.amountMinor)) : undefined),
  ersReferenceOf: () => undefined,
};
