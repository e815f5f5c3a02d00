// A restart while a sendInvoice is out (phase sending-invoice): its outcome is unknown, so it is a
// lost send like one whose answer was lost — if the flow then ends without seeing it (the customer
// cancels, nothing open yet), the terminal's lost-send watch must take it over. Model campaign of
// 2026-12-02 (seed 442348335): a kiosk sale killed with its send in flight, recovered, cancelled at
// 80 s; the send landed at 209 s, was paid, nobody read it, reversed at 20 s (paid-not-read-20s).
import { expect, it } from "vitest";
import { startPos, type PosState } from "../../agent/core/pos.ts";
import { startPreliminary, type PreliminaryState } from "../../agent/core/preliminary.ts";
import { posFlow } from "../../agent/flows/kinds/pos.ts";
import { preliminaryFlow } from "../../agent/flows/kinds/preliminary.ts";
import { CODE, Driver, SETTINGS, ctxAt } from "./helpers.ts";

it("kiosk: restarted with its sendInvoice out, cancelled before anything is seen: the send is handed to the watch", () => {
  const d = Driver.of(startPos({ flowId: "K9-a", point: 9, terminalId: "T9", currency: "SEK", stationName: "Kiosk", amountMinor: 100 }, ctxAt(0))) as Driver<PosState>;
  expect(d.state.phase).toBe("sending-invoice");
  d.now = 30_000;
  d.feed({ type: "recover" });
  d.feed({ type: "technician", action: "cancel" });
  for (let i = 0; i < 200 && d.state.phase !== "finished"; i++) {
    if (d.state.pending) d.answer(CODE(54));
    else d.runTimers(d.now + SETTINGS.pollIntervalMs, () => d.state.pending !== undefined);
  }
  expect(d.state.phase).toBe("finished");
  expect(posFlow.lostSendsOf!(d.state).map((l) => l.sentAt)).toEqual([0]);
});

it("preliminary: restarted with its sendInvoice out: the send is a lost one", () => {
  const GRADES = [{ id: "95", name: "Blyfri 95", unit: "L" as const, unitPriceMinor: 1899, vatRatePercent: 25 }];
  const d = Driver.of(startPreliminary({ flowId: "f1", point: 1, terminalId: "T1", currency: "SEK", stationName: "Station", unit: "L", grades: GRADES, gradeId: "95", reserveMinor: 50000 }, ctxAt(0))) as Driver<PreliminaryState>;
  expect(d.state.phase).toBe("sending-invoice");
  d.now = 30_000;
  d.feed({ type: "recover" });
  expect(preliminaryFlow.lostSendsOf!(d.state).map((l) => l.sentAt)).toEqual([0]);
});
