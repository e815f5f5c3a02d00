// Review 4 M: the lost-send watch takes ANY open current invoice seen while the terminal looks idle
// for a landing of its lost send — including the next flow's own invoice, read while that flow still
// held the terminal and answered just after it ended. It then "supersedes" a closed invoice, drops
// the real lost send off its record (`lost.slice(1)`, send-watch.ts:194) and ends "resolved"; the
// real late invoice lands later on an idle till, unwatched (review 3 H again).
// SOAP loopback, strict profile. The only non-wire part: the watch's read (getPaymentStatus without a
// reference) is processed by the simulator at once and its ANSWER is held until the next customer's
// flow has ended — ordinary jitter between two requests on different sockets.
import { expect, it } from "vitest";
import type { GlaseApi } from "../../contracts/glase/types.ts";
import { paidWithLateSend } from "../flows/harness/lost-send-scenes.ts";
import { until } from "../flows/harness/station.ts";
import { OPEN_INVOICE_STATUSES as OPEN, strictStationsPerTest } from "../flows/harness/strict-station.ts";

const openStation = strictStationsPerTest();
const SETTINGS = { glaseCallTimeoutMs: 300, statusCallTimeoutMs: 3000 };

// Hold the answer of the next watch read (processed by Glase first).
let arm = false;
let held: { status?: string; release: () => void } | undefined;
function wrap(g: GlaseApi): GlaseApi {
  return new Proxy(g, {
    get(target, prop, recv) {
      if (prop !== "getPaymentStatus") return Reflect.get(target, prop, recv);
      return async (...args: Parameters<GlaseApi["getPaymentStatus"]>) => {
        const res = await target.getPaymentStatus(...args);
        if (arm && args[1] === undefined) {
          arm = false;
          await new Promise<void>((release) => { held = { status: res.status, release }; });
        }
        return res;
      };
    },
  });
}

it("a stale open read of the next flow's own invoice does not take the lost send off the watch", async () => {
  const s = await openStation({ dirPrefix: "rv9-4m-", confirmAfterMs: 100, pointIds: [9], settings: SETTINGS, wrapGlase: wrap });
  const { flows, invoicesOf, station } = s; // no restart here: `station` stays the one

  // Sale A: its first sendInvoice is applied 4 s late; A resolves it, re-sends, is paid and ends.
  const a = await paidWithLateSend(s, 4000);
  await until("watch", () => flows().find((x) => x.kind === "send-watch" && !x.finished), 3000);
  s.sim.sim.setAutoCustomer({ enabled: false });

  // Sale B on the same till: its invoice is open; a watch read of it is processed, its answer held.
  const b = await station.engine.startPosPayment(9, 500);
  await until("B open", () => invoicesOf(2).find((i) => i.invoice.clientInvoiceId === b && OPEN.includes(i.status)), 3000);
  arm = true;
  await until("read held", () => held, 3000);
  expect(held!.status).toBe("ISSUED"); // B's own invoice
  await station.engine.cancelPosPayment(b);
  await until("B ended", () => flows().find((x) => x.flowId === b && x.finished), 5000);
  held!.release();

  // A's lost send lands at ~4 s on the idle till. The watch must still be looking for it and close it.
  const late = await until("A's late invoice", () => invoicesOf(2).filter((i) => i.invoice.clientInvoiceId === a).length >= 2 && invoicesOf(2).at(-1), 9000);
  expect(late.invoice.clientInvoiceId).toBe(a);
  // On this code: the watch already ended "resolved" on B's stale ISSUED; the late invoice stays open
  // for the next customer, and a PAID of it is never read (reversed at 20 s, nothing released).
  await until("late invoice closed by the watch", () => !OPEN.includes(invoicesOf(2).find((i) => i.invoiceReference === late.invoiceReference)!.status), 5000);
}, 30000);
