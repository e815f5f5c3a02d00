// The runner's ordering guarantees: an effect's intent is durable before the effect runs, its
// outcome is journaled (as the next transition's input) before anything follows from it, and
// polls that change nothing durable cost no journal write.
import { describe, expect, it } from "vitest";
import { startPos } from "../../agent/core/pos.ts";
import type { Effect } from "../../agent/core/effects.ts";
import type { FlowInput } from "../../agent/core/inputs.ts";
import { FlowRunner, type RunnerHost } from "../../agent/flows/runner.ts";
import type { Journal, TransitionRecord } from "../../agent/journal/types.ts";
import { createLogger } from "../../agent/log.ts";
import { SimClock } from "../../simulator/clock.ts";
import { SETTINGS, ctxAt } from "../core/helpers.ts";

function harness(answer: (e: Extract<Effect, { type: "glase" }>) => FlowInput | undefined) {
  const log: string[] = [];
  const clock = new SimClock({ manual: true, start: 0 });
  const journal = {
    append: async (r: TransitionRecord) => {
      log.push(`journal ${r.stateName} ${(r.effects as Effect[]).map((e) => (e.type === "glase" ? e.call.op : e.type)).join(",")}`);
      return log.length;
    },
  } as unknown as Journal;
  const host: RunnerHost = {
    journal,
    scheduler: clock,
    settings: SETTINGS,
    logger: createLogger("test.runner"),
    random: () => 0.5,
    perform: async (_r, effect) => {
      log.push(`perform ${effect.type === "glase" ? effect.call.op : effect.type}`);
      return effect.type === "glase" ? answer(effect) : effect.type === "release" ? { type: "released", ok: true } : effect.type === "print" ? { type: "printed", ok: true } : undefined;
    },
    changed: () => undefined,
    journalFailed: () => log.push("journal failed"),
  };
  return { log, clock, host };
}

const settle = () => new Promise((r) => setTimeout(r, 10));

describe("flow runner", () => {
  it("journals every intent before its effect and each outcome before what follows; repeated polls are not written", async () => {
    let polls = 0;
    const { log, clock, host } = harness((e) => {
      const ok = (fields: object): FlowInput => ({ type: "glase", op: e.call.op, ref: e.ref, outcome: { kind: "ok", ...fields } });
      if (e.call.op === "sendInvoice") return ok({ invoiceReference: "I" });
      polls++;
      return ok(polls < 3 ? { status: "ISSUED", version: 1 } : { status: "PAID", version: 2, ersReference: "E" });
    });
    const step = startPos({ flowId: "k1", point: 9, terminalId: "T", currency: "SEK", stationName: "K", amountMinor: 100 }, ctxAt(0));
    const runner = new FlowRunner(host, step.state);
    await runner.begin(step.effects, { type: "start" });
    for (let i = 0; i < 6 && !runner.finished; i++) {
      await settle();
      clock.advance(SETTINGS.pollIntervalMs);
    }
    await settle();
    expect(runner.finished).toBe(true);
    expect(log).toEqual([
      "journal sending-invoice sendInvoice",
      "perform sendInvoice",
      "journal polling getPaymentStatus,display",
      "perform getPaymentStatus",
      "perform display",
      // ISSUED, ISSUED: nothing durable changed, no write
      "perform getPaymentStatus",
      "perform getPaymentStatus",
      // PAID: confirmed by one more read before the release (§9 A45); a read needs no intent row
      "journal confirming ",
      "perform getPaymentStatus",
      "journal releasing display,release",
      "perform display",
      "perform release",
      "journal printing print",
      "perform print",
      "journal finished ",
    ]);
  });

  it("a failed journal write stops the flow before its effects run", async () => {
    const { log, host } = harness(() => undefined);
    let n = 0;
    (host.journal as { append: unknown }).append = async () => {
      if (++n > 1) throw new Error("disk full");
      return n;
    };
    const step = startPos({ flowId: "k2", point: 9, terminalId: "T", currency: "SEK", stationName: "K", amountMinor: 100 }, ctxAt(0));
    const runner = new FlowRunner(host, step.state);
    await runner.begin(step.effects, { type: "start" });
    await runner.feed({ type: "glase", op: "sendInvoice", ref: runner.state.pending!.ref, outcome: { kind: "ok", invoiceReference: "I" } });
    expect(log).toEqual(["perform sendInvoice", "journal failed"]);
  });
});
