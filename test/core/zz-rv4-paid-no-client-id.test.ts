// Review 4 P (LOW): receipt.clientInvoiceId is 0..1 (§4.7: "missing in the site's table, present in
// the jar"). A late PAID read by the watch WITHOUT it is acknowledged by that very read (§6.3: the
// reversal is stopped), yet not recognised as the lost send's (send-watch.ts onRead matches only on
// clientInvoiceId): the customer's money is kept, nothing released, and nobody is told with its
// ersReference — only the horizon's generic alarm, 15 min later, without the ERS. Pure core.
// Run from the worktree: copy to test/core/ (it imports ./helpers.ts there).
import { expect, it } from "vitest";
import type { Effect } from "../../agent/core/effects.ts";
import { type LostSend, type SendWatchState, startSendWatch } from "../../agent/core/send-watch.ts";
import { Driver, OK, SETTINGS } from "./helpers.ts";

const LOST_SEND: LostSend = { origin: "K9-a", kind: "pos", point: 9, amountMinor: 990, sentAt: 0, collected: "E-OWN" };

it("a PAID on a terminal with a lost send, with an unknown ersReference and no clientInvoiceId, is told with its ersReference", () => {
  const d = Driver.of(startSendWatch({ flowId: "WK9-a", terminalId: "T9", currency: "SEK", stationName: "Kiosk", lost: [LOST_SEND], busy: false }, { now: 0, settings: SETTINGS, random: 0.5 })) as Driver<SendWatchState>;
  d.feed({ type: "glase", op: "getPaymentStatus", ref: d.state.watchRef!, outcome: OK({ status: "PAID", ersReference: "E-LATE", paidMinor: 990 }) });
  const alarms = d.log.map((l) => l.effect).filter((e): e is Extract<Effect, { type: "alarm" }> => e.type === "alarm");
  expect(alarms.map((a) => a.message).join("\n")).toContain("E-LATE");
});

it("no alarm for such a PAID that a flow ended on the terminal claims as its own payment (engine: terminal input `claimed`)", () => {
  const d = Driver.of(startSendWatch({ flowId: "WK9-a", terminalId: "T9", currency: "SEK", stationName: "Kiosk", lost: [LOST_SEND], busy: true }, { now: 0, settings: SETTINGS, random: 0.5 })) as Driver<SendWatchState>;
  d.now = 1000;
  d.feed({ type: "terminal", busy: false, claimed: "E-B" }); // the next customer's sale ended paid
  d.now = 2000;
  d.feed({ type: "timer", name: "poll" });
  d.feed({ type: "glase", op: "getPaymentStatus", ref: d.state.watchRef!, outcome: OK({ status: "PAID", ersReference: "E-B", paidMinor: 990 }) });
  const alarms = d.log.map((l) => l.effect).filter((e) => e.type === "alarm");
  expect(alarms).toEqual([]);
  expect(d.state.lost.map((l) => l.origin)).toEqual(["K9-a"]);
});
