// The terminal's lost-send watch (agent/core/send-watch.ts) against the strict simulator over SOAP
// loopback: a late invoice that opens after its flow ended and that nobody pays is closed (not left
// for the next customer), and the watch survives a restart (its journal row).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import type { EngineSettings } from "../../agent/engine-api.ts";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { PROVISION, TERMINALS, openStation, until, type Station } from "../flows/harness/station.ts";

let dir: string | undefined;
let sim: RunningGlaseSimulator | undefined;
let station: Station | undefined;
const SETTINGS: Partial<EngineSettings> = { glaseCallTimeoutMs: 300 };

async function openOn(journalPath: string): Promise<Station> {
  const s = await openStation({ journalPath, endpoint: sim!.endpoint, pointIds: [9], settings: SETTINGS });
  await s.engine.start();
  return s;
}
async function open(): Promise<void> {
  dir = mkdtempSync(join(tmpdir(), "rv9d-w-"));
  sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION), settings: { profile: "strict" } });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 100 });
  station = await openOn(join(dir, "journal.db"));
}
afterEach(async () => {
  await station?.close();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  station = sim = dir = undefined;
});
const flows = () => station!.engine.snapshot().flows;
const invoicesOf = (t: number) => sim!.sim.dump().invoices.filter((i) => i.terminalId === TERMINALS[t]!.terminalId);
const OPEN = ["ISSUED", "PENDING_ISSUER_ACKNOWLEDGE", "RESERVED"];

/** A kiosk sale whose first sendInvoice is applied 2 s late; it resolves, is paid and ends first. */
async function paidWithLateSend(): Promise<string> {
  sim!.sim.injectFault({ operation: "sendInvoice", kind: "latency", latencyMs: 2000, count: 1 });
  const flowId = await station!.engine.startPosPayment(9, 990);
  await until("paid", () => flows().find((x) => x.flowId === flowId && x.finished), 10000);
  expect(flows().find((x) => x.flowId === flowId)!.outcome).toBe("paid");
  // Nobody at the till any more: a late invoice would stay open for the next customer.
  sim!.sim.setAutoCustomer({ enabled: false });
  return flowId;
}

it("a late kiosk invoice that opens after its flow ended is superseded and cancelled; the watch then ends", async () => {
  await open();
  const flowId = await paidWithLateSend();
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
  await open();
  await paidWithLateSend();
  await until("watch running", () => flows().find((x) => x.kind === "send-watch" && !x.finished), 2000);
  expect(invoicesOf(2)).toHaveLength(1); // the late one has not landed yet
  await station!.close();
  station = undefined;
  station = await openOn(join(dir!, "journal.db"));
  await until("late invoice", () => invoicesOf(2).length >= 2, 8000);
  await until("watch resolved", () => flows().find((x) => x.kind === "send-watch" && x.finished), 5000);
  expect(invoicesOf(2).filter((i) => OPEN.includes(i.status))).toEqual([]);
}, 15000);
