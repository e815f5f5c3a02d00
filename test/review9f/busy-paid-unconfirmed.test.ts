// Review 5 (issue 9) #3 LOW: review 4 P's fix tells a PAID without receipt.clientInvoiceId only when
// the read was sent on an idle terminal after it became idle (send-watch.ts onRead: `readFresh(s,
// stale) && !s.busy`). A read while a flow holds the terminal (or one sent before it became idle) is
// dropped — yet that very read stopped the reversal (§6.3: any successful read of it by its terminal).
// If the terminal's current invoice changes before the next fresh idle read (the next customer's
// sendInvoice), the payment is kept, nothing released, and never told with its ersReference; only
// the horizon's generic lost-send-unresolved, 15 min later. A parked flow holding the terminal makes
// that window hours long. Pure core.
import { expect, it } from "vitest";
import type { Effect } from "../../agent/core/effects.ts";
import { type LostSend, type SendWatchState, startSendWatch } from "../../agent/core/send-watch.ts";
import { Driver, OK, SETTINGS } from "../core/helpers.ts";

const LOST_SEND: LostSend = { origin: "K9-a", kind: "pos", point: 9, amountMinor: 990, sentAt: 0, collected: "E-OWN" };

it("a PAID without clientInvoiceId read while a flow holds the terminal is told once that flow ends without claiming it", () => {
  const d = Driver.of(startSendWatch({ flowId: "WK9-a", terminalId: "T9", currency: "SEK", stationName: "Kiosk", lost: [LOST_SEND], busy: true }, { now: 0, settings: SETTINGS, random: 0.5 })) as Driver<SendWatchState>;
  // Flow B holds the till; A's late invoice landed (cancelling B's) and a customer paid it. The read acknowledges it.
  d.feed({ type: "glase", op: "getPaymentStatus", ref: d.state.watchRef!, outcome: OK({ status: "PAID", ersReference: "E-LATE", paidMinor: 990 }) });
  d.now = 1000;
  d.feed({ type: "terminal", busy: false }); // B ended cancelled: it claims no payment
  d.now = 1100;
  d.feed({ type: "terminal", busy: true }); // the customer tries again at once: C's sendInvoice replaces the current invoice
  d.now = 2000;
  d.feed({ type: "timer", name: "poll" });
  d.feed({ type: "glase", op: "getPaymentStatus", ref: d.state.watchRef!, outcome: OK({ status: "ISSUED", version: 1 }) });
  d.now = 5000;
  d.feed({ type: "terminal", busy: false, claimed: "E-C" }); // C paid its own
  const alarms = d.log.map((l) => l.effect).filter((e): e is Extract<Effect, { type: "alarm" }> => e.type === "alarm");
  // On this code: no alarm at all (E-LATE was read, so it is kept, and nothing was released for it).
  expect(alarms.map((a) => a.message).join("\n")).toContain("E-LATE");
});
