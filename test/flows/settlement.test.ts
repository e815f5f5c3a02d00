// The engine around a settlement, in process against the Glase simulator over real HTTP: status
// reads after a commit use short timeouts (a PAID must be read within 20 s), a parked flow's alarm
// comes back after a restart, two points can never share one terminal.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createPaymentEngine } from "../../agent/engine.ts";
import type { GlaseApi } from "../../agent/glase/types.ts";
import { createLogger } from "../../agent/log.ts";
import { systemScheduler } from "../../drivers/dispenser/line-driver.ts";
import { InMemoryDispenser } from "../../drivers/dispenser/in-memory.ts";
import { SimClock } from "../../simulator/clock.ts";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { FAST_SETTINGS, PROVISION, openStation, stationPoints, until, type Station } from "./harness/station.ts";

let dir: string;
let sim: RunningGlaseSimulator | undefined;
let station: Station | undefined;

afterEach(async () => {
  await station?.close();
  await sim?.close();
  station = undefined;
  sim = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function setup(opts: { wrapGlase?: (g: GlaseApi) => GlaseApi; journal?: string } = {}) {
  dir ??= mkdtempSync(join(tmpdir(), "settlement-"));
  sim ??= await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION) });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 150 });
  const pumps = new InMemoryDispenser({ points: 2 });
  station = await openStation({ journalPath: opts.journal ?? join(dir, "journal.db"), endpoint: sim.endpoint, dispenser: pumps, settings: { glaseCallTimeoutMs: 10_000 }, ...opts });
  await station.engine.start();
  return pumps;
}

const flows = () => station!.engine.snapshot().flows;

describe("settlement reads", () => {
  it("(8) status reads after a commit use a short timeout, not the 10-s call timeout", async () => {
    const timeouts: Array<[string, number | undefined]> = [];
    let committed = false;
    const wrap = (g: GlaseApi): GlaseApi =>
      new Proxy(g, {
        get(target, prop, receiver) {
          const v = Reflect.get(target, prop, receiver);
          if (typeof v !== "function") return v;
          return (...args: unknown[]) => {
            const opts = args.at(-1) as { timeoutMs?: number } | undefined;
            if (prop === "commitReservation") committed = true;
            if (committed && prop === "getPaymentStatus") timeouts.push([String(prop), opts?.timeoutMs]);
            return (v as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    dir = mkdtempSync(join(tmpdir(), "settlement-"));
    const pumps = await setup({ wrapGlase: wrap });
    pumps.customerCall(1);
    await until("authorized", () => station!.engine.snapshot().points.find((p) => p.point === 1)?.state === "authorized");
    pumps.liftNozzle(1, "95");
    pumps.deliver(1, 1000);
    pumps.hangUp(1);
    await until("paid", () => flows().find((f) => f.point === 1 && f.finished));
    expect(timeouts.length).toBeGreaterThan(0);
    for (const [, t] of timeouts) expect(t).toBeLessThanOrEqual(3000);
  });
});

describe("the final figure", () => {
  it("(2) link lost longer than the stall time while the pump delivers: the committed amount is the board's final figure", async () => {
    dir = mkdtempSync(join(tmpdir(), "settlement-"));
    const pumps = await setup();
    pumps.customerCall(1);
    await until("authorized", () => station!.engine.snapshot().points.find((p) => p.point === 1)?.state === "authorized");
    pumps.liftNozzle(1, "95");
    pumps.deliver(1, 1000);
    await until("delivering", () => flows().find((f) => f.point === 1)?.state === "delivering");
    pumps.setLink(false);
    pumps.deliver(1, 1000); // the board keeps metering; nobody hears it
    // The stall timer fires, the STOP and the sale-record reads fail while the link is down.
    await until("stop attempted", () => pumps.commands.length > 0 && flows().find((f) => f.point === 1)?.state !== "delivering", 10_000);
    pumps.deliver(1, 2000);
    pumps.setLink(true); // back: the sale is still running at 4 L
    const flow = await until("settled", () => flows().find((f) => f.point === 1 && (f.finished || f.parked)), 30_000);
    const sale = pumps.saleRecords().find((r) => r.transactionId === flow.flowId)!;
    expect(sale).toMatchObject({ state: "finished" });
    expect(flow.outcome).toBe("paid");
    expect(sim!.sim.dump().invoices.find((i) => i.status === "PAID")?.paidMinor).toBe(sale.amountMinor);
  });
});

describe("wall-clock steps", () => {
  it("(12) an NTP step of +2 h between sendInvoice and RESERVED neither cancels nor stops the delivery: deadlines run on a monotonic clock", async () => {
    dir = mkdtempSync(join(tmpdir(), "settlement-"));
    // Glase keeps its own clock: only the agent's host steps.
    sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION), clock: new SimClock({ manual: true }) });
    const pumps = await setup();
    sim.sim.setAutoCustomer({ enabled: false, confirmAfterMs: 0 });
    pumps.customerCall(1);
    const inv = await until("invoice sent", () => sim!.sim.dump().invoices[0]);
    const wall = Date.now.bind(Date);
    const step = vi.spyOn(Date, "now").mockImplementation(() => wall() + 2 * 3600_000);
    try {
      sim.sim.customerConfirm({ invoiceReference: inv.invoiceReference });
      await until("authorized", () => station!.engine.snapshot().points.find((p) => p.point === 1)?.state === "authorized");
      pumps.liftNozzle(1, "95");
      pumps.deliver(1, 1000);
      pumps.hangUp(1);
      const flow = await until("settled", () => flows().find((f) => f.point === 1 && (f.finished || f.parked)));
      expect(flow.outcome).toBe("paid");
    } finally {
      step.mockRestore();
    }
  });
});

describe("after a restart", () => {
  it("(12) a parked flow's alarm is raised again", async () => {
    dir = mkdtempSync(join(tmpdir(), "settlement-"));
    const journal = join(dir, "journal.db");
    const pumps = await setup({ journal });
    pumps.customerCall(1);
    await until("authorized", () => station!.engine.snapshot().points.find((p) => p.point === 1)?.state === "authorized");
    // The reservation lapses under the delivery: nothing can be committed, the flow parks.
    // (A commit answered 11 no longer parks: it may have been applied — review 2 E.)
    sim!.sim.advanceClock(FAST_SETTINGS.commitReservationTimeoutS + 1);
    pumps.liftNozzle(1, "95");
    pumps.deliver(1, 1000);
    pumps.hangUp(1);
    const parked = await until("parked", () => flows().find((f) => f.parked));
    const code = station!.engine.snapshot().alarms.find((a) => a.flowId === parked.flowId && (a.code === "reservation-lapsed" || a.code === "reservation-lost"))?.code;
    expect(code).toBeDefined();
    await station!.close();
    station = undefined;
    await setup({ journal });
    expect(station!.engine.snapshot().alarms.filter((a) => a.flowId === parked.flowId).map((a) => a.code)).toContain(code);
  });
});

describe("configuration", () => {
  it("(11) the engine refuses two points sharing one terminal id", async () => {
    dir = mkdtempSync(join(tmpdir(), "settlement-"));
    const [a, b] = stationPoints();
    const journal = { append: async () => 0 } as never;
    expect(() =>
      createPaymentEngine({
        journal,
        glase: {} as GlaseApi,
        points: [a!, { ...b!, terminal: a!.terminal }],
        settings: FAST_SETTINGS,
        scheduler: systemScheduler,
        logger: createLogger("test"),
      }),
    ).toThrow(expect.objectContaining({ code: "CONFIG_INVALID", message: expect.stringMatching(/point 1.*point 2|point 2.*point 1/) }));
  });
});
