// Review 4 M, pure core: a read sent while a flow held the terminal, answered open after that flow
// ended, is taken for the lost send's landing; the lost send is dropped and the watch ends.
// Run from the worktree: copy to test/core/ (it imports ./helpers.ts there).
import { expect, it } from "vitest";
import { type LostSend, type SendWatchState, startSendWatch } from "../../agent/core/send-watch.ts";
import { Driver, OK, SETTINGS } from "./helpers.ts";

const LOST_SEND: LostSend = { origin: "K9-a", kind: "pos", point: 9, amountMinor: 990, sentAt: 0, collected: "E-OWN" };

it("an open read sent while the terminal was held proves nothing once it is idle: the lost send stays watched", () => {
  const d = Driver.of(startSendWatch({ flowId: "WK9-a", terminalId: "T9", currency: "SEK", stationName: "Kiosk", lost: [LOST_SEND], busy: true }, { now: 0, settings: SETTINGS, random: 0.5 })) as Driver<SendWatchState>;
  const ref = d.state.watchRef!; // sent while the next customer's flow holds the till
  d.feed({ type: "terminal", busy: false }); // that flow cancelled its invoice and ended
  d.feed({ type: "glase", op: "getPaymentStatus", ref, outcome: OK({ status: "ISSUED", version: 1 }) }); // its own invoice, read before the cancel
  expect(d.state.lost.map((l) => l.origin)).toEqual(["K9-a"]);
});

it("the same by the journaled idleSince: a read sent before the terminal became idle (an earlier ms) is no landing; one sent after is", () => {
  const d = Driver.of(startSendWatch({ flowId: "WK9-a", terminalId: "T9", currency: "SEK", stationName: "Kiosk", lost: [LOST_SEND], busy: true }, { now: 0, settings: SETTINGS, random: 0.5 })) as Driver<SendWatchState>;
  const ref = d.state.watchRef!;
  d.now = 500;
  d.feed({ type: "terminal", busy: false });
  expect(d.state.idleSince).toBe(500);
  // Without the volatile same-ms marker (not journaled): the journaled times alone must tell.
  d.state = { ...d.state, watchStale: undefined };
  d.feed({ type: "glase", op: "getPaymentStatus", ref, outcome: OK({ status: "ISSUED", version: 1 }) });
  expect(d.state.lost.map((l) => l.origin)).toEqual(["K9-a"]);
  d.now = 1000;
  d.feed({ type: "timer", name: "poll" });
  d.feed({ type: "glase", op: "getPaymentStatus", ref: d.state.watchRef!, outcome: OK({ status: "ISSUED", version: 1 }) });
  expect(d.state.phase).toBe("superseding");
  expect(d.state.landing?.origin).toBe("K9-a"); // taken for the landing: off the record once its superseder is answered with a reference
});
