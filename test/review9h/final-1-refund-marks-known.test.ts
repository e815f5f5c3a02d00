// FINAL-1 (HIGH): send-watches.ts:68 — remember() marks a terminal KNOWN whenever a flow with an
// ersReference ends on it in this run (ended():104), and a refund flow's claimOf() is the REFUNDED
// sale's ersReference (:44-46). A refund of an older sale A is no sale on the terminal (no invoice
// sent): B, the terminal's last released sale, outside the 200-sale window, is still unknown — but
// the terminal is now "known" with claims [A], and the next watch (launch():157) tells B's PAID
// "no sale of this terminal in the journal claims it ... refund it: ctl refund E-B".
// SOAP loopback, strict profile, real journal file, a Glase whose receipts carry no clientInvoiceId
// (noClientInvoiceId); the 200 later sales of the other pumps are written into the journal, then the
// station restarts (review 6's seed-window.test.ts, test/review9g/, plus a refund).
import { expect, it } from "vitest";
import { noClientInvoiceId } from "../flows/harness/no-client-invoice-id.ts";
import { appendOtherPumpSales, cancelledWithLateSend, ersOf, kioskSaleFinished, paidUnclaimedAbout, posRecordOf } from "../flows/harness/lost-send-scenes.ts";
import { strictStationsPerTest } from "../flows/harness/strict-station.ts";

const openStation = strictStationsPerTest();
const SETTINGS = { glaseCallTimeoutMs: 300, statusCallTimeoutMs: 3000 };

it("a refund of an older sale does not make a quiet terminal's recent sales 'known'", async () => {
  const s = await openStation({ dirPrefix: "final-1-", confirmAfterMs: 100, pointIds: [9], settings: SETTINGS, wrapGlase: noClientInvoiceId });
  // Sale A, then sale B on the kiosk: both paid and released. B's PAID is the terminal's current invoice.
  const a = await kioskSaleFinished(s, 700, "A paid");
  const b = await kioskSaleFinished(s, 990, "B paid");
  expect(s.flows().find((x) => x.flowId === b)!.outcome).toBe("paid");
  const ersA = await ersOf(s.station.journal, a);
  const ersB = await ersOf(s.station.journal, b);
  const rec = await posRecordOf(s.station.journal, b);
  s.sim.sim.setAutoCustomer({ enabled: false });
  // 200 later sales of the pumps (other terminal) push A and B out of the recovery window.
  await appendOtherPumpSales(s.station.journal, rec, 200);
  await s.restart();
  // A technician refunds part of the OLDER sale A (a customer complaint). No invoice goes to the terminal.
  const refund = await s.station.engine.startRefund({ point: 9, ersReference: ersA, amountMinor: 100 });
  expect(refund.refundErsReference).toBeTruthy();
  // Sale C: its sendInvoice hangs (lands 3 s late), the customer cancels: C's watch reads B's PAID.
  await cancelledWithLateSend(s);
  const told = paidUnclaimedAbout(s, ersB).filter((x) => x.message.includes("ctl refund"));
  // On this code: "... no sale of this terminal in the journal claims it, so nothing was released for it; ... refund it: ctl refund E-B 9.90".
  expect(told.map((x) => x.message)).toEqual([]);
}, 60000);
