// Review 9-r R2: a sendInvoice answered with a result code the contract does not list for it
// (§3.4 lists 0, 11, 20, 21, 29, 33, 37, 49, 64, 90, 91, 93, 94; §5.8 has 55 codes, e.g. 1
// PENDING_APPROVAL "request accepted, awaiting approval", 10 REJECTED_BUSINESS_LOGIC, 12) is taken
// as "not processed": the flow ends 'failed' and hands no lost send to the terminal's watch. Nothing
// in the contract says such a send opened no invoice (issue 9 #6: only a code the contract defines
// as "not processed" proves it). If it did, the invoice is open on the till and nobody reads the
// terminal: the customer who scans the sticker pays it, and the PAID nobody reads is reversed 20 s
// later (kiosk), or the reservation holds the money until it lapses (pump). Pure core; fails on d95fe87.
import { describe, expect, it } from "vitest";
import { startPreliminary, type PreliminaryState } from "../../agent/core/preliminary.ts";
import { start } from "../core/pos-send-scenes.ts";
import { CODE, Driver, SETTINGS, ctxAt } from "../core/helpers.ts";

/** The invoice may be open: the flow keeps reading the terminal, or its finished state hands the send to the watch. */
function watched(s: { phase: string; lostSends?: readonly number[] }): boolean {
  return s.phase !== "finished" || (s.lostSends?.length ?? 0) > 0;
}

describe("review 9-r R2: sendInvoice answered with a code the contract does not list for it", () => {
  for (const code of [1, 10, 12]) {
    it(`R2a kiosk: sendInvoice answered ${code} — ended 'failed' with nothing watching the invoice it may have opened`, () => {
      const d = start();
      d.advance(1000).answer(CODE(code));
      expect(watched(d.state)).toBe(true);
    });
  }

  it("R2b pump (preliminary): sendInvoice answered 1 (PENDING_APPROVAL: accepted) — ended 'failed', the reservation invoice unwatched", () => {
    const GRADES = [{ id: "95", name: "Blyfri 95", unit: "L" as const, unitPriceMinor: 1899, vatRatePercent: 25 }];
    const d = Driver.of(
      startPreliminary({ flowId: "f1", point: 1, terminalId: "T1", currency: "SEK", stationName: "Station", unit: "L", grades: GRADES, gradeId: "95", reserveMinor: 50000 }, ctxAt(0)),
    ) as Driver<PreliminaryState>;
    d.advance(1000).answer(CODE(1));
    expect(watched(d.state)).toBe(true);
  });

  it("control: a code the contract lists as a refusal (49 INVALID_INVOICE_DATA) still ends the kiosk flow 'failed'", () => {
    const d = start();
    d.advance(1000).answer(CODE(49));
    expect(d.state.phase).toBe("finished");
    expect(d.state.outcome).toBe("failed");
    void SETTINGS;
  });
});
