// Review 3 of issue 9: the review-2 fixes together (pump guard C + late commit A + restart in the
// new `securing` phase). These are "what holds" probes: they PASS on lead5 3f86079.
//
// Deterministic (the first version raced wall time: under CI load the authorization came after
// the 2-s stop deadline and the flow never reached `securing`). The engine and the simulator share
// one manual clock, which the test moves only when nothing is in flight — no Glase call out, no
// journal write open — so every run takes the same steps at the same simulated times, however slow
// the machine. The real client's own timeout is set far out of reach; a call "times out" only when
// the test makes it (the late commit below, held on the simulated clock).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import type { PointId } from "../../contracts/dispenser.ts";
import type { EngineSettings } from "../../agent/engine-api.ts";
import { TransportError } from "../../agent/glase/errors.ts";
import type { GlaseApi } from "../../agent/glase/types.ts";
import { InMemoryDispenser } from "../../drivers/dispenser/in-memory.ts";
import { SimClock } from "../../simulator/clock.ts";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { PROVISION, TERMINALS, openStation, type Station } from "../flows/harness/station.ts";

class DeafStops extends InMemoryDispenser {
  deaf = false;
  override async stop(point: PointId): Promise<void> {
    if (this.deaf) return;
    return super.stop(point);
  }
}
let dir: string | undefined;
let sim: RunningGlaseSimulator | undefined;
let station: Station | undefined;
let pumps: DeafStops;
let clock: SimClock;
let SETTINGS: Partial<EngineSettings> = { commitReservationTimeoutS: 4, commitSafetyMarginS: 1, deliveryStallMs: 400, glaseCallTimeoutMs: 600 };

/** Glase calls and journal writes still open: simulated time stands still until there are none. */
let inFlight = 0;
let writes = 0;
/** The next commitReservation is applied `appliedAfterMs` late and its answer lost (a timeout after the call timeout). */
let lateCommit: { readonly appliedAfterMs: number } | undefined;

/** The real client, counted, with simulated timeouts only (see the header). */
function onSimulatedTime(real: GlaseApi): GlaseApi {
  return new Proxy(real, {
    get(target, prop, receiver) {
      const f = Reflect.get(target, prop, receiver);
      if (typeof f !== "function") return f;
      return (...args: unknown[]) => {
        const last = args[args.length - 1] as { timeoutMs?: number } | undefined;
        const timeoutMs = last?.timeoutMs ?? 0;
        const forward = () => {
          inFlight++;
          const real = (f as (...a: unknown[]) => Promise<unknown>).apply(target, last?.timeoutMs !== undefined ? [...args.slice(0, -1), { ...last, timeoutMs: 60_000 }] : args);
          return real.finally(() => inFlight--);
        };
        if (prop === "commitReservation" && lateCommit) {
          const { appliedAfterMs } = lateCommit;
          lateCommit = undefined;
          clock.setTimer(appliedAfterMs, () => void forward().catch(() => undefined));
          return new Promise((_, reject) => clock.setTimer(timeoutMs, () => reject(new TransportError("commitReservation", "timeout", true, "commitReservation: no answer (test: applied late)"))));
        }
        return forward();
      };
    },
  });
}

async function reopen(): Promise<void> {
  station = await openStation({
    journalPath: join(dir!, "journal.db"),
    endpoint: sim!.endpoint,
    dispenser: pumps,
    pointIds: [1],
    settings: SETTINGS,
    scheduler: clock,
    wrapGlase: onSimulatedTime,
    onWriteBoundary: (label) => (writes += label.startsWith("before:") ? 1 : -1),
  });
  await station.engine.start();
}
async function open(): Promise<void> {
  dir = mkdtempSync(join(tmpdir(), "rv9c-i-"));
  clock = new SimClock({ manual: true });
  inFlight = writes = 0;
  lateCommit = undefined;
  sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION), settings: { profile: "strict" }, clock });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 100 });
  pumps = new DeafStops({ points: 2 });
  await reopen();
}
afterEach(async () => {
  await station?.close();
  await sim?.close();
  clock?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
  station = sim = dir = undefined;
});
const flows = () => station!.engine.snapshot().flows;
const alarms = (code: string) => station!.engine.snapshot().alarms.filter((a) => a.code === code);
const invoices = () => sim!.sim.dump().invoices.filter((i) => i.terminalId === TERMINALS[0]!.terminalId);

/** Until nothing is in flight for a few turns of the event loop (an answer's journal write starts right after it). */
async function quiet(): Promise<void> {
  for (let calm = 0; calm < 3; ) {
    await new Promise((r) => (inFlight > 0 || writes > 0 ? setTimeout(r, 1) : setImmediate(r)));
    calm = inFlight === 0 && writes === 0 ? calm + 1 : 0;
  }
}

/** Simulated time step: far below every timing of the flows (poll 150 ms, stall 400 ms, call timeout 600 ms). */
const STEP_MS = 10;

/** Moves simulated time, a step at a time at rest, until `probe` holds (within `maxMs` simulated ms). */
async function until<T>(what: string, probe: () => T | undefined | false, maxMs = 20_000): Promise<T> {
  const end = clock.now() + maxMs;
  for (;;) {
    await quiet();
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (clock.now() >= end) throw new Error(`no ${what} within ${maxMs} simulated ms`);
    clock.advance(STEP_MS);
  }
}

/** Lets `ms` of simulated time pass, the engine and Glase running through it. */
async function pass(ms: number): Promise<void> {
  const end = clock.now() + ms;
  await until("time", () => clock.now() >= end, ms + STEP_MS);
}

async function deliveringDeaf(): Promise<string> {
  pumps.customerCall(1);
  const f = await until("flow", () => flows().find((x) => x.point === 1));
  await until("authorized", () => flows().find((x) => x.flowId === f.flowId && x.state === "authorized"), 10000);
  pumps.liftNozzle(1, "95");
  pumps.deliver(1, 1000);
  pumps.deaf = true;
  return f.flowId;
}

it("pump never obeys + the running-figure commit applied late (answer lost, > 2T) past the deadline: PAID read, never reversed; the guard stops the pump once it obeys", async () => {
  SETTINGS = { commitReservationTimeoutS: 6, commitSafetyMarginS: 2, deliveryStallMs: 400, glaseCallTimeoutMs: 600 };
  await open();
  lateCommit = { appliedAfterMs: 1400 };
  const flowId = await deliveringDeaf();
  await until("securing", () => flows().find((x) => x.flowId === flowId && x.state === "securing"), 15000);
  expect(lateCommit).toBeUndefined(); // the commit went out, and was held
  await pass(25_000); // past the late commit, past any 20-s reversal window
  expect(invoices().map((i) => [i.status, i.reversed])).toEqual([["PAID", false]]);
  pumps.deliver(1, 500);
  pumps.deaf = false;
  await until("finished", () => flows().find((x) => x.flowId === flowId && x.finished), 10000);
  expect(pumps.deliver(1, 20000)).toBe(0);
  await until("alarm", () => alarms("delivered-unpaid").length === 1, 5000);
}, 60000);

it("restart while securing (daemon down, the customer fuels on): the restarted flow stops the pump and alarms the unpaid fuel", async () => {
  SETTINGS = { commitReservationTimeoutS: 4, commitSafetyMarginS: 1, deliveryStallMs: 400, glaseCallTimeoutMs: 600 };
  await open();
  const flowId = await deliveringDeaf();
  await until("securing", () => flows().find((x) => x.flowId === flowId && x.state === "securing"), 15000);
  await station!.close();
  station = undefined;
  pumps.deliver(1, 700); // while the agent is down
  pumps.deaf = false;
  await reopen();
  await until("finished", () => flows().find((x) => x.flowId === flowId && x.finished), 10000);
  expect(pumps.deliver(1, 20000)).toBe(0);
  await until("alarm", () => alarms("delivered-unpaid").length > 0, 5000);
}, 60000);
