// Review 8 (issue 9) LOW: a kept money alarm (4d6d1b8: "kept … until ctl ack") leaves `ctl alarms`
// without any ack once 500 newer alarms are open: agent/alarms/book.ts:96-99 clears the OLDEST entry
// (Map order) when the book holds more than MAX_OPEN = 500. The kept alarms are raised first at start
// (engine.ts:129 restore, right after recovery), so they are the first to go. Flow alarms are one
// entry per flow (keyOf :50), so an outage of a day on a busy station (every sale's
// send-unresolved / status-read-refused / glase-* alarm) fills the book. The payment to refund is
// then shown again only at the next restart, and `ctl ack` of it answers NOT_FOUND meanwhile.
import { expect, it } from "vitest";
import { AlarmBook } from "../../agent/alarms/book.ts";

it("a kept money alarm stays in the book until acknowledged, however many alarms follow", () => {
  const book = new AlarmBook(() => 1000);
  // Restored at start: the customer's payment nothing was released for.
  const money = book.raise({ origin: "engine", code: "paid-unclaimed", flowId: "WK7-A", message: "terminal T7 …: nothing was released for it — refund it: ctl refund E-A 9.90" });
  // A day-long Glase outage: every sale's own alarm (one entry per flow).
  for (let i = 0; i < 500; i++) book.raise({ origin: "engine", code: "send-unresolved", point: 1 + (i % 12), flowId: `F${i}`, message: `point ${1 + (i % 12)}: sendInvoice kept failing` });
  const listed = book.list().some((a) => a.id === money.id);
  let ack: string;
  try {
    book.ack(money.id);
    ack = "ok";
  } catch (e) {
    ack = (e as { code?: string }).code ?? String(e);
  }
  console.log("money alarm listed:", listed, "| ack:", ack, "| open:", book.list().length);
  expect({ listed, ack }).toEqual({ listed: true, ack: "ok" });
});
