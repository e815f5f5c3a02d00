// Review 4 of issue 9, finding N: the terminal's lost-send watch supersedes a late open invoice on
// the idle terminal with a sendInvoice of its own (send-watch.ts). That send was not serialised with
// the next customer's: a customer starting on the terminal while the watch's superseding send is
// still out sends at once, Glase applies the customer's invoice first and the watch's after it —
// and every sendInvoice on a cash register cancels the open invoice there (§6.4): the customer's.
// The watch then cancels its own invoice: the customer is refused for nothing (no money moves).
// Strict simulator over SOAP loopback, real SQLite journal; the watch's send is held 800 ms by a
// latency fault (within the 1.5-s call timeout: answered, not lost).
import { afterEach, expect, it } from "vitest";
import type { GlaseApi } from "../../contracts/glase/types.ts";
import { TERMINALS, until } from "../flows/harness/station.ts";
import { closeStrictStation, openStrictStation, type StrictStation } from "../flows/harness/strict-station.ts";

let s: StrictStation | undefined;
afterEach(async () => {
  if (s) await closeStrictStation(s);
  s = undefined;
});
const flows = () => s!.station.engine.snapshot().flows;
const invoicesOf = (t: number) => s!.sim.sim.dump().invoices.filter((i) => i.terminalId === TERMINALS[t]!.terminalId);

async function open(opts: { onWriteBoundary?: (label: string) => void; wrapGlase?: (g: GlaseApi) => GlaseApi } = {}): Promise<void> {
  s = await openStrictStation({ dirPrefix: "rv9d-n-", confirmAfterMs: 100, pointIds: [9], settings: { glaseCallTimeoutMs: 1500 }, ...opts });
}

/** A kiosk sale whose first sendInvoice is applied 4 s late: the sale is paid on its second send and ends; nobody at the till then. */
async function paidWithLateSend(): Promise<void> {
  s!.sim.sim.injectFault({ operation: "sendInvoice", kind: "latency", latencyMs: 4000, count: 1 });
  const first = await s!.station.engine.startPosPayment(9, 990);
  await until("paid", () => flows().find((x) => x.flowId === first && x.finished), 10000);
  expect(flows().find((x) => x.flowId === first)!.outcome).toBe("paid");
  s!.sim.sim.setAutoCustomer({ enabled: false });
}

/** The customer's invoice is still open (only theirs), they pay it, and the sale is paid. */
async function customerPays(next: string): Promise<void> {
  expect(invoicesOf(2).filter((i) => i.invoice.clientInvoiceId === next).map((i) => i.status)).toEqual(["ISSUED"]);
  s!.sim.sim.customerConfirm({ invoiceReference: invoicesOf(2).find((i) => i.invoice.clientInvoiceId === next)!.invoiceReference });
  const done = await until("customer's sale ended", () => flows().find((x) => x.flowId === next && x.finished), 10000);
  expect(done.outcome).toBe("paid");
}


it("(N) a customer starting on the terminal while the watch's superseding send is out keeps their invoice and pays", async () => {
  await open();
  await paidWithLateSend();
  // The next sendInvoice on the terminal is the watch's superseding one: Glase applies it 800 ms late.
  s!.sim.sim.injectFault({ operation: "sendInvoice", kind: "latency", latencyMs: 800, count: 1 });
  const watch = await until("watch superseding", () => flows().find((x) => x.kind === "send-watch" && x.state === "superseding"), 8000);

  // The next customer starts on the terminal meanwhile.
  const next = await s!.station.engine.startPosPayment(9, 500);
  const own = await until("superseder applied", () => invoicesOf(2).find((i) => i.invoice.clientInvoiceId === watch.flowId), 5000);
  expect(own.paymentMode).toBe("RESERVATION_REQUIRED_PRELIMINARY_AMOUNT");
  await until("customer's invoice", () => invoicesOf(2).find((i) => i.invoice.clientInvoiceId === next), 5000);
  await until("watch closed its own", () => invoicesOf(2).find((i) => i.invoiceReference === own.invoiceReference && i.status === "CANCELED"), 5000);
  // 83a6db3: the customer's invoice was applied first and the watch's superseded it — CANCELED, the customer refused.
  await customerPays(next);
}, 30000);

it("(N) a customer who takes the terminal while the watch journals its superseding send: the send is withheld, the customer keeps their invoice", async () => {
  // The customer starts in the very window between the watch's decision to supersede (made idle)
  // and its send going out: while the watch's superseding step is being journaled.
  let next: Promise<string> | undefined;
  let armed = false;
  let customerSent!: () => void;
  const sent = new Promise<void>((r) => (customerSent = r));
  // The watch's send (if one is made) reaches Glase only after the customer's was applied.
  const wrap = (g: GlaseApi): GlaseApi =>
    new Proxy(g, {
      get(target, prop, recv) {
        const v = Reflect.get(target, prop, recv);
        if (prop !== "sendInvoice" || typeof v !== "function") return v;
        return async (...args: Parameters<GlaseApi["sendInvoice"]>) => {
          const mine = args[1].clientInvoiceId?.startsWith("W") === true;
          if (mine) await Promise.race([sent, new Promise((r) => setTimeout(r, 3000))]);
          const answer = await (v as GlaseApi["sendInvoice"]).apply(target, args);
          if (!mine && next !== undefined) customerSent();
          return answer;
        };
      },
    });
  await open({
    wrapGlase: wrap,
    onWriteBoundary: (label) => {
      if (!armed || !label.startsWith("before:W") || !label.endsWith(":superseding")) return;
      armed = false;
      next = s!.station.engine.startPosPayment(9, 500);
    },
  });
  await paidWithLateSend();
  armed = true;
  await until("customer started", () => next, 8000);
  const id = await next!;
  await until("customer's invoice", () => invoicesOf(2).find((i) => i.invoice.clientInvoiceId === id), 5000);
  const watch = flows().find((x) => x.kind === "send-watch")!;
  const superseded = async () => (await s!.station.journal.tail(200)).some((r) => r.flowId === watch.flowId && r.stateName === "superseding");
  await until("watch past its superseding step", async () => (await superseded()) && flows().find((x) => x.flowId === watch.flowId)?.state !== "superseding", 5000);
  // 83a6db3: the watch's send went out anyway and, applied after the customer's, cancelled it.
  await customerPays(id);
  expect(invoicesOf(2).filter((i) => i.invoice.clientInvoiceId === watch.flowId)).toEqual([]);
}, 30000);
