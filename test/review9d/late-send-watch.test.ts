// The terminal's lost-send watch (agent/core/send-watch.ts) against the strict simulator over SOAP
// loopback: a late invoice that opens after its flow ended and that nobody pays is closed (not left
// for the next customer), and the watch survives a restart (its journal row).
import { expect, it } from "vitest";
import { paidWithLateSend as lateSentSalePaid } from "../flows/harness/lost-send-scenes.ts";
import { until } from "../flows/harness/station.ts";
import { OPEN_INVOICE_STATUSES as OPEN, strictStationsPerTest, type ScratchStation } from "../flows/harness/strict-station.ts";

const openStation = strictStationsPerTest();
const open = () => openStation({ dirPrefix: "rv9d-w-", confirmAfterMs: 100, pointIds: [9], settings: { glaseCallTimeoutMs: 300 } });

/** A kiosk sale whose first sendInvoice is applied 2 s late; it resolves, is paid and ends first. */
async function paidWithLateSend(s: ScratchStation): Promise<string> {
  const flowId = await lateSentSalePaid(s, 2000, "paid");
  // Nobody at the till any more: a late invoice would stay open for the next customer.
  s.sim.sim.setAutoCustomer({ enabled: false });
  return flowId;
}

it("a late kiosk invoice that opens after its flow ended is superseded and cancelled; the watch then ends", async () => {
  const s = await open();
  const { flows, invoicesOf } = s;
  const flowId = await paidWithLateSend(s);
  // h9h: on e8b2128 the late invoice stays ISSUED on the idle till (no watch, nothing reads it).
  await until("late invoice", () => invoicesOf(2).length >= 2, 8000);
  const watch = await until("watch resolved", () => flows().find((x) => x.kind === "send-watch" && x.finished), 5000);
  expect(watch.outcome).toBe("resolved");
  expect(invoicesOf(2).filter((i) => OPEN.includes(i.status))).toEqual([]);
  // The superseding invoice was the watch's own, in reservation mode (a customer could only reserve it).
  const own = invoicesOf(2).filter((i) => i.invoice.clientInvoiceId === watch.flowId);
  expect(own.map((i) => [i.paymentMode, i.status])).toEqual([["RESERVATION_REQUIRED_PRELIMINARY_AMOUNT", "CANCELED"]]);
  expect(invoicesOf(2).filter((i) => i.invoice.clientInvoiceId === flowId).map((i) => i.status).sort()).toEqual(["CANCELED", "PAID"]);
}, 15000);

it("the watch survives a restart: a late invoice landing after it is closed by the recovered watch", async () => {
  const s = await open();
  const { flows, invoicesOf } = s;
  await paidWithLateSend(s);
  await until("watch running", () => flows().find((x) => x.kind === "send-watch" && !x.finished), 2000);
  expect(invoicesOf(2)).toHaveLength(1); // the late one has not landed yet
  await s.restart();
  await until("late invoice", () => invoicesOf(2).length >= 2, 8000);
  await until("watch resolved", () => flows().find((x) => x.kind === "send-watch" && x.finished), 5000);
  expect(invoicesOf(2).filter((i) => OPEN.includes(i.status))).toEqual([]);
}, 15000);
