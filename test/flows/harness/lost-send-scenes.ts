// Steps the lost-send watch's station tests (test/review9*) take again and again on a kiosk (point 9)
// of a ScratchStation: a sale that is paid, a sale whose send is lost (applied late) while its
// customer cancels, the journal filled with other pumps' sales, the refund alarms of one sale.
// Each waits on what it says (bounded polls of the engine, the journal and the simulator).
import { expect } from "vitest";
import type { AlarmInfo } from "../../../agent/engine-api.ts";
import type { FlowRecord, Journal } from "../../../agent/journal/types.ts";
import { until } from "./station.ts";
import type { ScratchStation } from "./strict-station.ts";

/** A kiosk sale of `amountMinor` started and waited for until its flow finished (paid, if the auto-customer is on). */
export async function kioskSaleFinished(s: ScratchStation, amountMinor: number, what = "sale paid"): Promise<string> {
  const flowId = await s.station.engine.startPosPayment(9, amountMinor);
  await until(what, () => s.flows().find((x) => x.flowId === flowId && x.finished), 10000);
  return flowId;
}

/** Sale A on the kiosk: its first sendInvoice is applied `latencyMs` late; A resolves it, re-sends, is paid and ends. */
export async function paidWithLateSend(s: ScratchStation, latencyMs: number, what = "A paid"): Promise<string> {
  s.sim.sim.injectFault({ operation: "sendInvoice", kind: "latency", latencyMs, count: 1 });
  const a = await kioskSaleFinished(s, 990, what);
  expect(s.flows().find((x) => x.flowId === a)!.outcome).toBe("paid");
  return a;
}

/** The pos flow's journal record (among the newest 10 pos flows); throws if it is not there. */
export async function posRecordOf(journal: Journal, flowId: string): Promise<FlowRecord> {
  const rec = (await journal.flows({ kind: "pos", limit: 10 })).find((f) => f.flowId === flowId);
  if (!rec) throw new Error(`no pos flow ${flowId} among the journal's newest 10`);
  return rec;
}

/** The ersReference of a pos flow's journaled state (among the newest 10 pos flows); throws if it has none. */
export async function ersOf(journal: Journal, flowId: string): Promise<string> {
  const ers = ((await posRecordOf(journal, flowId)).state as { ersReference?: string }).ersReference;
  if (!ers) throw new Error(`pos flow ${flowId} has no ersReference in the journal`);
  return ers;
}

/**
 * `count` later sales of the other pumps written into the journal as finished pos flows on another
 * terminal (copies of `rec`'s finished state, point 3, terminal T-OTHER-PUMP, ERS E-OTHER-i), each
 * newer than everything before: they push the kiosk's sales out of the recovery window.
 */
export async function appendOtherPumpSales(journal: Journal, rec: FlowRecord, count: number): Promise<void> {
  const at0 = Date.now() + 1000;
  for (let i = 0; i < count; i++) {
    const flowId = `OTHER-${i}`;
    const state = { ...(rec.state as object), flowId, point: 3, terminalId: "T-OTHER-PUMP", ersReference: `E-OTHER-${i}` };
    await journal.append({ flowId, kind: "pos", point: 3, terminalId: "T-OTHER-PUMP", at: at0 + i, input: { type: "start" }, state, stateName: rec.stateName, finished: true, parked: false, effects: [] });
  }
}

/**
 * Sale C on the kiosk: its sendInvoice hangs (applied 3 s late) and the customer cancels at once.
 * Waits until C ended, a send-watch exists, and C's late invoice has landed — by then the watch has
 * read the terminal's current invoice many times. Returns C's flow id.
 */
export async function cancelledWithLateSend(s: ScratchStation, watchWhat = "watch"): Promise<string> {
  s.sim.sim.injectFault({ operation: "sendInvoice", kind: "latency", latencyMs: 3000, count: 1 });
  const c = await s.station.engine.startPosPayment(9, 500);
  await s.station.engine.cancelPosPayment(c);
  await until("C ended", () => s.flows().find((x) => x.flowId === c && x.finished), 5000);
  await until(watchWhat, () => s.flows().find((x) => x.kind === "send-watch"), 3000);
  await until("C's late invoice", () => s.sim.sim.dump().invoices.some((i) => i.invoice.clientInvoiceId === c), 6000);
  return c;
}

/** The station's paid-unclaimed alarms that name `ers`. */
export function paidUnclaimedAbout(s: ScratchStation, ers: string): AlarmInfo[] {
  return s.station.engine.snapshot().alarms.filter((a) => a.code === "paid-unclaimed" && a.message.includes(ers));
}
