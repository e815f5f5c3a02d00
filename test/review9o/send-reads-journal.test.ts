// Review 9-o LOW: PosState.sendReads is documented "volatile" (pos.ts) but the runner's VOLATILE set
// does not know it, so every read made while a re-send is out, and every answer of one, is a journal
// write (an fsync a second per re-sending kiosk) — the cost VOLATILE exists to avoid. Fails on 1307be2.
import { describe, expect, it } from "vitest";
import { sameDurable } from "../../agent/flows/runner.ts";
import { startPos } from "../../agent/core/pos.ts";
import { SETTINGS } from "../core/helpers.ts";

describe("review 9-o: sendReads is volatile for the journal", () => {
  it("a state that differs only in sendReads (and the call counter) is not a durable change", () => {
    const s = startPos({ flowId: "k1", point: 9, terminalId: "T9", currency: "SEK", stationName: "K", amountMinor: 2500 }, { now: 0, settings: SETTINGS, random: 0.5 }).state;
    expect(sameDurable(s, { ...s, calls: s.calls + 1, lastReadAt: 1000, sendReads: ["k1-2"] })).toBe(true);
  });
});
