// Review 7 (issue 9), #1 in the running watch (pure): every refund ending on the terminal while
// the watch runs is fed as a claim (send-watches.ts:111 → send-watch.ts:304) and the watch keeps
// the newest CLAIMED_KEPT = 20 (:44). After 20 refunds of other sales, the claim of B — the
// terminal's last sale, its current invoice (a refund sends none) — is gone, and B's PAID read
// without clientInvoiceId is alarmed with "ctl refund E-B".
import { expect, it } from "vitest";
import { startSendWatch, transitionSendWatch } from "../../agent/core/send-watch.ts";
import { ctxAt } from "../core/helpers.ts";

it("refunds ending while the watch runs do not evict the terminal's last sale from its claims", () => {
  const ctx = ctxAt(1_000);
  // A watch on T9 (lost send of A); sale B then held the till, was paid and released, and ended: its claim came with the idle.
  let s = startSendWatch({ flowId: "WA", terminalId: "T9", currency: "SEK", stationName: "K", lost: [{ origin: "A", kind: "pos", point: 9, amountMinor: 500, sentAt: 0 }], busy: false, claimed: [] }, ctx).state;
  s = transitionSendWatch(s, { type: "terminal", busy: true }, ctx).state;
  s = transitionSendWatch(s, { type: "terminal", busy: false, claimed: "E-B" }, ctx).state;
  // A technician refunds 20 of the day's earlier sales (refund flows hold no point: busy stays false).
  const n = Number(process.env.R7_REFUNDS ?? 20); // control: R7_REFUNDS=19 passes
  // (Since review 7 #2 the engine feeds a refund's end without a claim — send-watches.ts ended():
  // a refund is no sale, its reference never takes a sale's place. The station repro
  // refunds-evict-claim.test.ts checks the engine; this one what the watch is fed now.)
  for (let i = 0; i < n; i++) s = transitionSendWatch(s, { type: "terminal", busy: false }, ctx).state;
  // Sales still claim theirs: 19 more sales' claims keep B (the newest 20 are kept).
  for (let i = 0; i < Math.min(n, 19); i++) s = transitionSendWatch(s, { type: "terminal", busy: false, claimed: `E-T${i}` }, ctx).state;
  // The watch's next read: B's PAID is still the terminal's current invoice (§9 A12), no clientInvoiceId (§4.7 0..1).
  const r = transitionSendWatch({ ...s, watchRef: "WA-9", lastReadAt: ctx.now }, { type: "glase", op: "getPaymentStatus", ref: "WA-9", outcome: { kind: "ok", status: "PAID", ersReference: "E-B", paidMinor: 990, version: 3 } }, ctxAt(2_000));
  const told = r.effects.filter((e) => e.type === "alarm" && e.message.includes("ctl refund E-B"));
  // On b25f978: 1 alarm "... no sale of this terminal in the journal claims it, so nothing was released for it; ... ctl refund E-B 9.90".
  expect(told.length).toBe(0);
});
