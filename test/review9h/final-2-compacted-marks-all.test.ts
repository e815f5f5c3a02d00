// FINAL-2 (HIGH): send-watches.ts:136 — `finished.length < RECOVERY_WINDOW ? "all"` takes "the
// journal holds fewer than 200 finished sales" for "the window held every sale". Compaction
// (engine/compaction.ts:37, retentionDays) deletes finished flows: a kiosk whose last sale B is
// older than the retention is marked known with claims [] and its watch tells B's PAID (still the
// terminal's current invoice, §9 A12) "nothing was released for it ... ctl refund E-B".
// SOAP loopback, strict profile, real journal file, a Glase whose receipts carry no clientInvoiceId
// (noClientInvoiceId); B is compacted out of the journal, then the station restarts.
import { expect, it } from "vitest";
import { noClientInvoiceId } from "../flows/harness/no-client-invoice-id.ts";
import { cancelledWithLateSend, ersOf, kioskSaleFinished, paidUnclaimedAbout } from "../flows/harness/lost-send-scenes.ts";
import { strictStationsPerTest } from "../flows/harness/strict-station.ts";

const openStation = strictStationsPerTest();
const SETTINGS = { glaseCallTimeoutMs: 300, statusCallTimeoutMs: 3000 };

it("a released sale compacted out of the journal is not alarmed as an unclaimed payment to refund", async () => {
  const s = await openStation({ dirPrefix: "final-2-", confirmAfterMs: 100, pointIds: [9], settings: SETTINGS, wrapGlase: noClientInvoiceId });
  const b = await kioskSaleFinished(s, 990, "B paid");
  expect(s.flows().find((x) => x.flowId === b)!.outcome).toBe("paid");
  const ersB = await ersOf(s.station.journal, b);
  s.sim.sim.setAutoCustomer({ enabled: false });
  // The quiet kiosk sells nothing for longer than the retention: compaction (the journal's own) removes B.
  expect(await s.station.journal.compact(Date.now() + 1)).toBeGreaterThan(0);
  expect((await s.station.journal.flows({ kinds: ["pos", "preliminary"], finished: true, limit: 200 })).length).toBe(0);
  await s.restart();
  await cancelledWithLateSend(s);
  const told = paidUnclaimedAbout(s, ersB).filter((x) => x.message.includes("ctl refund"));
  expect(told.map((x) => x.message)).toEqual([]);
}, 60000);
