// Review 9 (issue 9) #1, kiosk variant: a kiosk sale whose first sendInvoice never reached Glase
// (answer lost, request never processed) re-sends with the SAME clientInvoiceId (pos-steps.ts:22,
// clientInvoiceId = flowId), is paid E1 and released. Its lost send goes to the terminal's watch
// (collected E1). It never lands, so 15 min after it was sent the watch raises lost-send-unresolved
// (send-watch.ts:80-89): "if Glase shows an invoice with clientInvoiceId k1 paid, nothing was released
// for it: ctl refund ERSREFERENCE 25.00 --force --point 9". Glase shows exactly one such invoice: the
// sale's own, E1, released. The alarm is kept (raised at every start until acked); the technician
// types the line with E1 and the desk refunds it against E1's own receipt (25.00 left).
import { expect, it } from "vitest";
import { startPos, type PosState } from "../../agent/core/pos.ts";
import { startSendWatch, transitionSendWatch } from "../../agent/core/send-watch.ts";
import { posFlow } from "../../agent/flows/kinds/pos.ts";
import { RefundGuard } from "../../agent/daemon/refund-guard.ts";
import { checkedRefund } from "../../agent/daemon/refund-request.ts";
import { openJournal } from "../../agent/journal/journal.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Driver, LOST, OK, SETTINGS, ctxAt } from "../core/helpers.ts";

const POS = { flowId: "k1", point: 9, terminalId: "T9", currency: "SEK", stationName: "Kiosk", amountMinor: 2500 };
const PAID1 = OK({ status: "PAID", version: 3, ersReference: "E1", paidMinor: 2500, clientInvoiceId: "k1", invoiceReference: "INV2" });

it("kiosk: a released sale's own payment is not called 'nothing was released' by its lost send's horizon alarm", async () => {
  const d = Driver.of(startPos(POS, { now: 0, settings: SETTINGS, random: 0.5 })) as Driver<PosState>;
  d.answer(LOST); // sendInvoice #1: the request never reached Glase, its answer never came
  let resent = false;
  for (let i = 0; i < 2000 && d.state.phase !== "finished"; i++) {
    const p = d.state.pending;
    if (p?.op === "sendInvoice") { resent = true; d.answer(OK({ invoiceReference: "INV2" })); }
    else if (p?.op === "getPaymentStatus") d.answer(resent ? PAID1 : OK({ status: "CANCELED", version: 1 }));
    else if (p) d.answer(OK());
    else if (d.state.phase === "releasing") d.feed({ type: "released", ok: true });
    else if (d.state.phase === "printing" && !d.timers.has("poll")) d.feed({ type: "printed", ok: true });
    else if (d.runTimers(d.now + 60_000, () => d.state.pending !== undefined) === 0) { if (d.state.phase === "printing") d.feed({ type: "printed", ok: true }); else break; }
  }
  const k1 = d.state;
  expect({ phase: k1.phase, ers: k1.ersReference }).toEqual({ phase: "finished", ers: "E1" });
  const lost = posFlow.lostSendsOf!(k1);
  expect(lost.map((l) => l.collected)).toEqual(["E1"]);

  const alarms: { code: string; message: string }[] = [];
  let now = d.now + 1000;
  let r = startSendWatch({ flowId: "Wk1", terminalId: "T9", currency: "SEK", stationName: "Kiosk", lost, busy: false, claimed: ["E1"] }, ctxAt(now));
  const horizon = ctxAt(now).settings.lostSendWatchMs ?? 15 * 60_000;
  for (let i = 0; i < 10_000 && r.state.phase !== "finished" && now < horizon + 120_000; i++) {
    if (r.state.watchRef) {
      r = transitionSendWatch(r.state, { type: "glase", op: "getPaymentStatus", ref: r.state.watchRef, outcome: PAID1 }, ctxAt(now));
      alarms.push(...r.effects.flatMap((e) => (e.type === "alarm" ? [e] : [])));
    }
    now += SETTINGS.pollIntervalMs;
    r = transitionSendWatch(r.state, { type: "timer", name: "poll" } as never, ctxAt(now));
    alarms.push(...r.effects.flatMap((e) => (e.type === "alarm" ? [e] : [])));
  }
  // The technician follows the alarm: Glase's invoice with clientInvoiceId k1 is paid E1, 25.00.
  const dir = mkdtempSync(join(tmpdir(), "r9-kiosk-"));
  const journal = await openJournal({ path: join(dir, "journal.db") });
  const started: unknown[] = [];
  const desk = {
    engine: () => ({ receiptOf: async (ers: string) => (ers === "E1" ? { content: { amountMinor: 2500, currency: "SEK", point: 9 } } : undefined), startRefund: async (q: unknown) => (started.push(q), { flowId: "R1" }) }) as never,
    guard: new RefundGuard(journal),
    logger: { warn: () => undefined, info: () => undefined, error: () => undefined, debug: () => undefined } as never,
  };
  const answer = await checkedRefund(desk, { ersReference: "E1", amountMinor: 2500, point: 9, force: true }).then((x) => ({ started: x }), (e: { code?: string }) => ({ refused: e.code }));
  await journal.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(`k1 ${k1.outcome} ${k1.ersReference} (released) | watch ${r.state.phase} at +${Math.round(now / 60_000)} min | alarms:\n  ${alarms.map((a) => `${a.code}: ${a.message}`).join("\n  ")}\n  desk: ${JSON.stringify(answer)} | refunds started: ${started.length}`);
  expect(alarms.filter((a) => a.message.includes("nothing was released")).map((a) => a.code)).toEqual([]);
});
