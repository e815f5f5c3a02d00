// Steps the tests of a kiosk flow's reads while a send is out take again and again
// (agent/core/pos-send-reads.ts; test/core/pos-reads-while-sending.test.ts, test/review9o, 9p, 9q).
import { expect } from "vitest";
import type { Effect } from "../../agent/core/effects.ts";
import { startPos, type PosState } from "../../agent/core/pos.ts";
import { CODE, Driver, LOST, OK, SETTINGS } from "./helpers.ts";

export const POS = { flowId: "k1", point: 9, terminalId: "T9", currency: "SEK", stationName: "K", amountMinor: 2500 };
/** The terminal's current invoice, open (a real answer names neither; these tests' do). */
export const OPEN = OK({ status: "ISSUED", version: 1, clientInvoiceId: "k1", invoiceReference: "INV1" });
export const PAID_INV1 = OK({ status: "PAID", version: 3, ersReference: "E1", clientInvoiceId: "k1", invoiceReference: "INV1" });

export type Read = Extract<Effect, { type: "glase" }>;

/** Reads of the terminal's current invoice (no reference) asked for since log index `from`. */
export const currentReads = (d: Driver<PosState>, from: number): Read[] =>
  d.log.slice(from).map((x) => x.effect).filter((e): e is Read => e.type === "glase" && e.call.op === "getPaymentStatus" && e.call.invoiceReference === undefined);

export function start(): Driver<PosState> {
  return Driver.of(startPos(POS, { now: 0, settings: SETTINGS, random: 0.5 })) as Driver<PosState>;
}

/** Drives the flow (answering every read with `read`) until its pending call is a sendInvoice. */
export function untilSend(d: Driver<PosState>, read: Parameters<Driver<PosState>["answer"]>[0]): void {
  for (let i = 0; i < 500 && d.state.pending?.op !== "sendInvoice"; i++) {
    if (d.state.pending) d.answer(read);
    else d.runTimers(d.now + 60_000, () => d.state.pending !== undefined);
  }
  expect(d.state.pending?.op).toBe("sendInvoice");
}

/** sendInvoice #1 lost; nothing open on the terminal (54) until it is settled; the re-send #2 goes out. */
export function resending(): Driver<PosState> {
  const d = start();
  d.advance(SETTINGS.glaseCallTimeoutMs).answer(LOST);
  untilSend(d, CODE(54));
  expect(d.state.lostSends).toHaveLength(1);
  return d;
}

/** One read of the current invoice made while the flow's sendInvoice is out. */
export function sendRead(d: Driver<PosState>): Read {
  const from = d.log.length;
  d.runTimers(d.now + 3 * SETTINGS.pollIntervalMs, () => currentReads(d, from).length > 0);
  const r = currentReads(d, from)[0];
  expect(r).toBeDefined();
  return r!;
}
