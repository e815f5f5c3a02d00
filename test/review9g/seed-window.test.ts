// Review 6 (issue 9) HIGH: review 5 #2's fix seeds a watch's claims from the journal at start —
// send-watches.ts recoverHandOvers reads the newest RECOVERY_WINDOW (200) finished pos/preliminary
// flows STATION-WIDE (:114) and then marks claimsLoaded = true (:125). A terminal whose last sale is
// older than the station's last 200 sales (a quiet kiosk overnight while the pumps sell) gets
// `claimed: []` with claimsUnknown unset, so a PAID of its current invoice (that old, released sale;
// §9 A12) without receipt.clientInvoiceId is alarmed "no sale of this terminal in the journal claims
// it, so nothing was released for it; ... refund it: ctl refund E-B 9.90" — though the journal holds
// that very sale. A technician who follows it refunds a released sale (money out twice).
// SOAP loopback, strict profile, real journal file; the 200 later sales of the other pumps are
// written into the journal as finished flows (copies of B's finished state, other terminal/point/ERS),
// then the station restarts. Same Glase proxy as review 5's test (receipts without clientInvoiceId).
import { expect, it } from "vitest";
import { noClientInvoiceId } from "../flows/harness/no-client-invoice-id.ts";
import { appendOtherPumpSales, cancelledWithLateSend, kioskSaleFinished, paidUnclaimedAbout, posRecordOf } from "../flows/harness/lost-send-scenes.ts";
import { strictStationsPerTest } from "../flows/harness/strict-station.ts";

const openStation = strictStationsPerTest();
const SETTINGS = { glaseCallTimeoutMs: 300, statusCallTimeoutMs: 3000 };

it("a released sale older than the station's last 200 sales is not alarmed as an unclaimed payment to refund", async () => {
  const s = await openStation({ dirPrefix: "rv9-6-1-", confirmAfterMs: 100, pointIds: [9], settings: SETTINGS, wrapGlase: noClientInvoiceId });

  // Sale B on the kiosk (point 9): paid, released, finished.
  const b = await kioskSaleFinished(s, 990, "B paid");
  expect(s.flows().find((x) => x.flowId === b)!.outcome).toBe("paid");
  const rec = await posRecordOf(s.station.journal, b);
  const ersB = (rec.state as { ersReference?: string }).ersReference!;
  expect(ersB).toBeTruthy();
  s.sim.sim.setAutoCustomer({ enabled: false });

  // Overnight the other pumps sell 200 times (finished flows on another terminal, newer than B).
  await appendOtherPumpSales(s.station.journal, rec, 200);

  // Restart (an update at 03:00).
  await s.restart();

  // Sale C on the kiosk: its sendInvoice hangs (applied 3 s late); the customer cancels. B's PAID is
  // still the terminal's current invoice; C's watch reads it.
  await cancelledWithLateSend(s);

  const told = paidUnclaimedAbout(s, ersB).filter((a) => a.message.includes("ctl refund"));
  // On this code: "... was paid (E-B, 9.90 SEK) ... no sale of this terminal in the journal claims it, so nothing was released for it; check it in Glase, then refund it: ctl refund E-B 9.90".
  expect(told.map((a) => a.message)).toEqual([]);
}, 40000);
