// Random interleavings of what can happen to one unstarted session at once — the charger's
// StartTransaction (possibly twice), the flow's stop, an unplug, MeterValues, a StopTransaction,
// timers firing (lateStopWaitS cancel, stop timeout) — with durable writes of random latency
// (review 12 #2: a write is an fsync; anything may happen while it is under way). The Sessions
// class is driven directly with a manual clock; the real WebSocket tests cover the wire. Whatever
// the order: at most one `end` per flow, and a flow that was cancelled (0 Wh, the invoice
// cancelled) never had a StartTransaction answered Accepted, so no energy goes unbilled.
import fc from "fast-check";
import { expect, it } from "vitest";
import type { Scheduler } from "../../../base/clock.ts";
import type { Logger } from "../../../base/log.ts";
import type { DispenserEvent } from "../../../contracts/dispenser.ts";
import { MemoryDriverStore } from "../../../drivers/driver-store.ts";
import type { ChargePointStatus } from "../../../drivers/ocpp16/messages.ts";
import { SaleBook } from "../../../drivers/ocpp16/sales.ts";
import { Sessions, type PointBinding, type SessionHost } from "../../../drivers/ocpp16/sessions.ts";

class ManualScheduler implements Scheduler {
  private t = 1_000_000;
  private timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  now = () => this.t;
  setTimer = (ms: number, fn: () => void) => {
    const timer = { at: this.t + Math.max(0, ms), fn, live: true };
    this.timers.push(timer);
    return () => void (timer.live = false);
  };
  advance(ms: number): void {
    const until = this.t + ms;
    for (;;) {
      const next = this.timers.filter((x) => x.live && x.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.t = Math.max(this.t, next.at);
      next.live = false;
      next.fn();
    }
    this.t = until;
  }
}

/** Every write takes a random number of event-loop turns: other handlers run in between. */
class SlowStore extends MemoryDriverStore {
  constructor(private readonly delays: () => number) {
    super();
  }
  override async put(key: string, value: unknown): Promise<void> {
    for (let i = this.delays(); i > 0; i--) await new Promise((r) => setImmediate(r));
    return super.put(key, value);
  }
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
const binding: PointBinding = { point: 1, chargePointId: "CP-1", connectorId: 1, grade: { id: "AC22", name: "AC 22 kW", unitPriceMinor: 349, vatRatePercent: 25, unit: "kWh" }, maxPowerW: 22_000 };

type Step = "start" | "start" | "stop" | "unplug" | "charging" | "meter" | "stopTx" | "tick";
const step = fc.constantFrom<Step>("start", "stop", "unplug", "charging", "meter", "stopTx", "tick");

async function runScenario(steps: Array<{ step: Step; gap: number }>, delays: number[]) {
  let d = 0;
  const scheduler = new ManualScheduler();
  const store = new SlowStore(() => delays[d++ % delays.length]!);
  const events: DispenserEvent[] = [];
  let status: ChargePointStatus = "Preparing";
  const host: SessionHost = {
    scheduler,
    log: quiet,
    currency: "SEK",
    meterSampleIntervalS: 1,
    powerScale: 1,
    maxSessionMs: 10_000_000,
    stopTimeoutMs: 2_000,
    lateStopWaitMs: 1_500,
    binding: () => binding,
    link: () => ({ call: async () => ({ status: "Accepted" }) }) as never,
    known: () => true,
    connectedSince: () => 0,
    connectorStatus: (_id, k) => (k === 1 ? status : undefined),
    freshStatus: (_id, k) => (k === 1 ? status : undefined),
    statusAt: () => undefined,
    meterClockBound: () => undefined,
    emit: (e) => void events.push(e),
  };
  const book = new SaleBook(store, 100);
  await book.load(scheduler.now());
  const sessions = new Sessions(host, book);
  await sessions.authorize({ point: 1, limitMinor: 30_000, currency: "SEK", transactionId: "P1-flow-1" });
  const accepted: number[] = [];
  const pending: Array<Promise<unknown>> = [];
  const setStatus = (next: ChargePointStatus) => {
    const prev = status;
    status = next;
    sessions.onStatus(binding, prev, next);
  };
  for (const { step: s, gap } of steps) {
    switch (s) {
      case "start":
        pending.push(sessions.onStartTransaction("CP-1", { connectorId: 1, idTag: "P1-flow-1", meterStart: 1000, timestamp: new Date(0).toISOString() }).then((r) => r.idTagInfo.status === "Accepted" && accepted.push(r.transactionId)));
        break;
      case "stop":
        pending.push(sessions.stop(1).catch(() => undefined));
        break;
      case "unplug":
        setStatus("Available");
        break;
      case "charging":
        if (accepted.length) setStatus("Charging");
        break;
      case "meter":
        for (const tx of accepted) pending.push(sessions.onMeterValues("CP-1", { connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date(0).toISOString(), sampledValue: [{ value: "2000" }] }] }));
        break;
      case "stopTx":
        for (const tx of accepted) pending.push(sessions.onStopTransaction("CP-1", { transactionId: tx, meterStop: 3000, timestamp: new Date(0).toISOString() }));
        break;
      case "tick":
        scheduler.advance(1_000);
        break;
    }
    for (let i = 0; i < gap; i++) await new Promise((r) => setImmediate(r));
  }
  // Everything settles: writes land, timers fire, the charger sends what it still has.
  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < 40; i++) await new Promise((r) => setImmediate(r));
    scheduler.advance(5_000);
  }
  for (let i = 0; i < 40; i++) await new Promise((r) => setImmediate(r));
  sessions.close(); // a stop() still waiting for its end (a charger that never stops) gives up
  await Promise.all(pending);
  return { ends: events.filter((e) => e.type === "end"), accepted, sale: book.get("P1-flow-1") };
}

it("any interleaving of start / stop / unplug / meter / stop / timers: at most one end, and no accepted start on a cancelled flow", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.record({ step, gap: fc.integer({ min: 0, max: 4 }) }), { minLength: 1, maxLength: 10 }), fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 8 }), async (steps, delays) => {
        const r = await runScenario(steps, delays);
        expect(r.ends.length).toBeLessThanOrEqual(1);
        if (r.accepted.length > 0) expect(r.sale?.endedBy, `started (${r.accepted.join(",")}) yet ended as ${r.sale?.endedBy}`).not.toBe("canceled");
      }),
    { numRuns: 300 },
  );
});
