// Review 6 (issue 9) MEDIUM: a suspect (a PAID without receipt.clientInvoiceId read while a flow held
// the terminal, review 5 #3's fix) is decided on the FIRST idle `terminal` input (send-watch.ts
// transitionSendWatch "terminal": `decideSuspects`), against the claims the watch has by then. The
// holding flow's own payment reaches the watch in the same input as the idle — normally. But that
// input is fed after the flow's finish is journaled (send-watches.ts ended(), `void watch.feed`), so a
// restart between the two leaves the watch journaled busy with the suspect and without the claim.
// At recovery the engine feeds `refresh()` (busy:false, no claims) BEFORE `recoverHandOvers()` feeds
// the journal's claims (engine.ts:127-128): the suspect is decided on the refresh and alarmed "no sale
// of this terminal in the journal claims it, so nothing was released for it ... refund it: ctl refund
// E-B 9.90" — B's released sale. Pure core, inputs in the engine's recovery order.
import { expect, it } from "vitest";
import type { Effect } from "../../agent/core/effects.ts";
import { type LostSend, type SendWatchState, startSendWatch } from "../../agent/core/send-watch.ts";
import { Driver, OK, SETTINGS } from "../core/helpers.ts";

const LOST_SEND: LostSend = { origin: "K9-a", kind: "pos", point: 9, amountMinor: 500, sentAt: 0 };

it("a suspect read while sale B held the terminal is not alarmed as refundable after a restart before B's claim reached the watch", () => {
  // The watch started with the journal's claims known (claimed: [] — the terminal's earlier sales).
  const d = Driver.of(startSendWatch({ flowId: "WK9-a", terminalId: "T9", currency: "SEK", stationName: "Kiosk", lost: [LOST_SEND], busy: true, claimed: [] }, { now: 0, settings: SETTINGS, random: 0.5 })) as Driver<SendWatchState>;
  // Sale B holds the till; its customer pays (9.90); the watch's read sees B's PAID (no clientInvoiceId): a suspect.
  d.feed({ type: "glase", op: "getPaymentStatus", ref: d.state.watchRef!, outcome: OK({ status: "PAID", ersReference: "E-B", paidMinor: 990 }) });
  expect(d.state.suspects?.map((x) => x.ers)).toEqual(["E-B"]);
  // B released and finished (journaled); the process dies before the watch's `terminal` input (idle, claimed E-B) is journaled.
  d.now = 5000;
  d.feed({ type: "recover" });
  // The engine's recovery order since the fix (engine.ts: recoverHandOvers, then refresh): the
  // journal's claims, E-B among them, then the idle terminal. (Before: refresh first, then the claims.)
  d.feed({ type: "terminal", busy: false, claimed: ["E-B"] });
  d.feed({ type: "terminal", busy: false });
  const alarms = d.log.map((l) => l.effect).filter((e): e is Extract<Effect, { type: "alarm" }> => e.type === "alarm");
  // On this code: "... was paid (E-B, 9.90 SEK) ... no sale of this terminal in the journal claims it, so nothing was released for it; check it in Glase, then refund it: ctl refund E-B 9.90".
  expect(alarms.filter((a) => a.message.includes("ctl refund E-B")).map((a) => a.message)).toEqual([]);
});
