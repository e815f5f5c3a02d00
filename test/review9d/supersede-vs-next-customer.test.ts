// Review 4 of issue 9, finding N: the terminal's lost-send watch supersedes a late open invoice on
// the idle terminal with a sendInvoice of its own (send-watch.ts). That send was not serialised with
// the next customer's: a customer starting on the terminal while the watch's superseding send is
// still out sends at once, Glase applies the customer's invoice first and the watch's after it —
// and every sendInvoice on a cash register cancels the open invoice there (§6.4): the customer's.
// The watch then cancels its own invoice: the customer is refused for nothing (no money moves).
// Strict simulator over SOAP loopback, real SQLite journal; the watch's send is held 800 ms by a
// latency fault (within the 1.5-s call timeout: answered, not lost).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { PROVISION, TERMINALS, openStation, until, type Station } from "../flows/harness/station.ts";

let dir: string | undefined;
let sim: RunningGlaseSimulator | undefined;
let station: Station | undefined;

afterEach(async () => {
  await station?.close();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  station = sim = dir = undefined;
});
const flows = () => station!.engine.snapshot().flows;
const invoicesOf = (t: number) => sim!.sim.dump().invoices.filter((i) => i.terminalId === TERMINALS[t]!.terminalId);

it("(N) a customer starting on the terminal while the watch's superseding send is out keeps their invoice and pays", async () => {
  dir = mkdtempSync(join(tmpdir(), "rv9d-n-"));
  sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION), settings: { profile: "strict" } });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 100 });
  station = await openStation({ journalPath: join(dir, "journal.db"), endpoint: sim.endpoint, pointIds: [9], settings: { glaseCallTimeoutMs: 1500 } });
  await station.engine.start();

  // A kiosk sale whose first sendInvoice is applied 4 s late: the sale is paid on its second send and ends.
  sim.sim.injectFault({ operation: "sendInvoice", kind: "latency", latencyMs: 4000, count: 1 });
  const first = await station.engine.startPosPayment(9, 990);
  await until("paid", () => flows().find((x) => x.flowId === first && x.finished), 10000);
  expect(flows().find((x) => x.flowId === first)!.outcome).toBe("paid");
  sim.sim.setAutoCustomer({ enabled: false });

  // The next sendInvoice on the terminal is the watch's superseding one: Glase applies it 800 ms late.
  sim.sim.injectFault({ operation: "sendInvoice", kind: "latency", latencyMs: 800, count: 1 });
  const watch = await until("watch superseding", () => flows().find((x) => x.kind === "send-watch" && x.state === "superseding"), 8000);

  // The next customer starts on the terminal meanwhile.
  const next = await station.engine.startPosPayment(9, 500);
  const own = await until("superseder applied", () => invoicesOf(2).find((i) => i.invoice.clientInvoiceId === watch.flowId), 5000);
  expect(own.paymentMode).toBe("RESERVATION_REQUIRED_PRELIMINARY_AMOUNT");
  const invoice = await until("customer's invoice", () => invoicesOf(2).find((i) => i.invoice.clientInvoiceId === next), 5000);
  await until("watch closed its own", () => invoicesOf(2).find((i) => i.invoiceReference === own.invoiceReference && i.status === "CANCELED"), 5000);
  // 83a6db3: the customer's invoice was applied first and the watch's superseded it — CANCELED, the customer refused.
  expect(invoicesOf(2).filter((i) => i.invoice.clientInvoiceId === next).map((i) => i.status)).toEqual(["ISSUED"]);
  sim.sim.customerConfirm({ invoiceReference: invoice.invoiceReference });
  const done = await until("customer's sale ended", () => flows().find((x) => x.flowId === next && x.finished), 10000);
  expect(done.outcome).toBe("paid");
}, 30000);
