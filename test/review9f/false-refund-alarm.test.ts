// Review 5 (issue 9) #2 MEDIUM: review 4 P's fix alarms a PAID without receipt.clientInvoiceId
// (§4.7 0..1) that the watch reads on the idle till, unless its ersReference is "claimed" — but a
// watch learns claims only from flows that END WHILE IT RUNS (send-watches.ts ended(): `claimed` is
// fed to a running watch only). When the lost send's flow ended without an invoice of its own
// replacing the terminal's current one (the customer cancelled while its sendInvoice hung), the
// current invoice is still the PREVIOUS customer's sale — paid, released, finished before the watch
// started. The watch's first read shows it, and it is alarmed paid-unclaimed: "no sale claims it and
// nothing was released for it … refund it: ctl refund E-B 9.90". A technician who follows it refunds
// a sale whose product went out (money out twice: product + refund).
// SOAP loopback, strict profile. Non-wire part: a Glase whose receipts carry no clientInvoiceId (the
// premise of review 4 P) — the proxy strips it from every getPaymentStatus answer.
import { expect, it } from "vitest";
import { noClientInvoiceId } from "../flows/harness/no-client-invoice-id.ts";
import { cancelledWithLateSend, ersOf, kioskSaleFinished, paidUnclaimedAbout } from "../flows/harness/lost-send-scenes.ts";
import { strictStationsPerTest } from "../flows/harness/strict-station.ts";

const openStation = strictStationsPerTest();
const SETTINGS = { glaseCallTimeoutMs: 300, statusCallTimeoutMs: 3000 };

it("the previous customer's released sale is not alarmed as an unclaimed payment to refund", async () => {
  const s = await openStation({ dirPrefix: "rv9-5-2-", confirmAfterMs: 100, pointIds: [9], settings: SETTINGS, wrapGlase: noClientInvoiceId });

  // Sale B: paid, released, finished (no watch runs yet).
  const b = await kioskSaleFinished(s, 990, "B paid");
  const bFlow = s.flows().find((x) => x.flowId === b)!;
  expect(bFlow.outcome).toBe("paid");
  const ersB = await ersOf(s.station.journal, b);
  expect(ersB).toBeTruthy();
  s.sim.sim.setAutoCustomer({ enabled: false });

  // Sale C: its sendInvoice hangs (applied 3 s late); the customer cancels at once. C ends cancelled
  // with the send lost; B's PAID invoice is still the terminal's current one. The watch starts.
  // By the time C's late invoice lands (~3 s) the watch has read the current invoice (B's) many times.
  await cancelledWithLateSend(s, "watch read");

  const told = paidUnclaimedAbout(s, ersB);
  // On this code: "…was paid (E-B, 9.90 SEK) … no sale claims it and nothing was released for it; check it in Glase, then refund it: ctl refund E-B 9.90".
  expect(told.map((a) => a.message)).toEqual([]);
}, 30000);
