// Model campaign violation of 2026-12-02 (seed 442425563, notes/model-violation.txt), pure: a late
// invoice of a lost send lands, the watch's superseding send is lost (its answer never comes), and a
// customer then pays the late invoice. That PAID must be told with the exact refund line.
import { describe, expect, it } from "vitest";
import type { Effect } from "../../agent/core/effects.ts";
import type { GlaseOutcome } from "../../agent/core/inputs.ts";
import { type LostSend, type SendWatchState, startSendWatch } from "../../agent/core/send-watch.ts";
import { Driver, LOST, OK, SETTINGS } from "./helpers.ts";

const LOST_SEND: LostSend = { origin: "K9-a", kind: "pos", point: 9, amountMinor: 100, sentAt: 0 };
const start = () =>
  Driver.of(startSendWatch({ flowId: "WK9-a", terminalId: "T9", currency: "SEK", stationName: "Kiosk", lost: [LOST_SEND], busy: false }, { now: 0, settings: SETTINGS, random: 0.5 })) as Driver<SendWatchState>;
const read = (d: Driver<SendWatchState>, outcome: GlaseOutcome) => d.feed({ type: "glase", op: "getPaymentStatus", ref: d.state.watchRef!, outcome });
const alarms = (d: Driver<SendWatchState>, code: string) => d.log.map((l) => l.effect).filter((e): e is Extract<Effect, { type: "alarm" }> => e.type === "alarm" && e.code === code);

describe("lost-send watch: superseder lost, then the late invoice paid", () => {
  it("tells the late PAID of the origin with its ersReference", () => {
    const d = start();
    read(d, OK({ status: "ISSUED", version: 1 })); // the late K9 invoice landed: superseded
    expect(d.call().op).toBe("sendInvoice");
    d.answer(LOST); // the superseder's answer never comes: the late invoice may still be open
    d.runTimers(d.now + SETTINGS.pollIntervalMs);
    read(d, OK({ status: "PAID", ersReference: "E-LATE", clientInvoiceId: "K9-a", paidMinor: 100, invoiceReference: "INV3" }));
    expect(alarms(d, "paid-unclaimed").map((a) => a.message)).toEqual([expect.stringContaining("ctl refund E-LATE 1.00")]);
  });
});
