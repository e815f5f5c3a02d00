// Review 8 #1 (issue 9): a sale that may hold a payment it never learnt the ersReference of
// (settled-manually without it) is a claim on the terminal's PAIDs — its watch never calls one
// "nothing was released" nor makes it `refundable` for the refund desk.
import { expect, it } from "vitest";
import type { Effect } from "../../agent/core/effects.ts";
import { type LostSend, type SendWatchState, startSendWatch } from "../../agent/core/send-watch.ts";
import { Driver, OK, SETTINGS } from "./helpers.ts";

const LOST: LostSend = { origin: "K9-b", kind: "pos", point: 9, amountMinor: 990, sentAt: 0, collected: "E-B" };
const start = (lost: LostSend[], unproven?: string[]) =>
  Driver.of(startSendWatch({ flowId: "WK9-b", terminalId: "T9", currency: "SEK", stationName: "Kiosk", lost, busy: false, claimed: [], ...(unproven ? { unproven } : {}) }, { now: 0, settings: SETTINGS, random: 0.5 })) as Driver<SendWatchState>;
const alarms = (d: Driver<SendWatchState>) => d.log.map((l) => l.effect).filter((e): e is Extract<Effect, { type: "alarm" }> => e.type === "alarm" && e.code === "paid-unclaimed");

it("a PAID of an origin whose own payment is unknown is told as possibly its own: no refundable, the lost send stays watched", () => {
  const d = start([{ ...LOST, collected: undefined, ownUnknown: true }]);
  d.feed({ type: "glase", op: "getPaymentStatus", ref: d.state.watchRef!, outcome: OK({ status: "PAID", ersReference: "E-X", clientInvoiceId: "K9-b", paidMinor: 990 }) });
  const [a] = alarms(d);
  expect(a?.refundable).toBeUndefined();
  expect(a?.message).toContain("this may be it");
  expect(d.state.lost.length).toBe(1);
});

it("a PAID without clientInvoiceId while a sale of the terminal ended without its payment: told without a refund command", () => {
  const d = start([LOST], ["P1-f0"]);
  d.feed({ type: "glase", op: "getPaymentStatus", ref: d.state.watchRef!, outcome: OK({ status: "PAID", ersReference: "E-Y", paidMinor: 990 }) });
  const [a] = alarms(d);
  expect(a?.message).toContain("P1-f0");
  expect(a?.message).not.toContain("ctl refund");
  expect(a?.refundable).toBeUndefined();
});
