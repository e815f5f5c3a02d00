// Review 5 (issue 9) #1 HIGH, pure: every definite refusal of the watch's superseding send ends the
// watch "resolved" although the late invoice it just saw open is still open (send-watch.ts:217 takes
// the lost send off before the send; onSupersede:246 then finds nothing left and settleOrGo:157
// finishes). DOWN = a transport failure that never reached Glase (connection refused); 33 = a
// definite code; ok without invoiceReference = a hostile answer (the superseder WAS applied: it is
// the open invoice now, reference unknown, never cancelled).
import { expect, it } from "vitest";
import type { GlaseOutcome } from "../../agent/core/inputs.ts";
import { type LostSend, type SendWatchState, startSendWatch } from "../../agent/core/send-watch.ts";
import { CODE, DOWN, Driver, OK, SETTINGS } from "../core/helpers.ts";

const LOST_SEND: LostSend = { origin: "K9-a", kind: "pos", point: 9, amountMinor: 990, sentAt: 0, collected: "E-OWN" };
const CASES: [string, GlaseOutcome][] = [["connection refused", DOWN], ["33", CODE(33)], ["ok without invoiceReference", OK({})]];

it.each(CASES)("a superseding send answered %s leaves the watch on the open late invoice", (_name, outcome) => {
  const d = Driver.of(startSendWatch({ flowId: "WK9-a", terminalId: "T9", currency: "SEK", stationName: "Kiosk", lost: [LOST_SEND], busy: false }, { now: 0, settings: SETTINGS, random: 0.5 })) as Driver<SendWatchState>;
  d.feed({ type: "glase", op: "getPaymentStatus", ref: d.state.watchRef!, outcome: OK({ status: "ISSUED", version: 1 }) });
  expect(d.call().op).toBe("sendInvoice");
  d.answer(outcome);
  // On this code: phase "finished", outcome "resolved", lost [] — the late invoice is left open, unwatched.
  expect(d.state.phase).not.toBe("finished");
});
