// Review 3 of issue 9: the review-2 fixes together (pump guard C + late commit A + restart in the
// new `securing` phase). These are "what holds" probes: they PASS on lead5 3f86079.
import { expect, it } from "vitest";
import type { PointId } from "../../contracts/dispenser.ts";
import type { EngineSettings } from "../../agent/engine-api.ts";
import { InMemoryDispenser } from "../../drivers/dispenser/in-memory.ts";
import { until } from "../flows/harness/station.ts";
import { strictStationsPerTest, type ScratchStation } from "../flows/harness/strict-station.ts";

class DeafStops extends InMemoryDispenser {
  deaf = false;
  override async stop(point: PointId): Promise<void> {
    if (this.deaf) return;
    return super.stop(point);
  }
}
const openStation = strictStationsPerTest();
let s: ScratchStation;
let pumps: DeafStops;
let SETTINGS: Partial<EngineSettings> = { commitReservationTimeoutS: 4, commitSafetyMarginS: 1, deliveryStallMs: 400, glaseCallTimeoutMs: 600 };
async function open(): Promise<void> {
  pumps = new DeafStops({ points: 2 });
  s = await openStation({ dirPrefix: "rv9c-i-", confirmAfterMs: 100, dispenser: pumps, pointIds: [1], settings: SETTINGS });
}
const flows = () => s.flows();
const alarms = (code: string) => s.station.engine.snapshot().alarms.filter((a) => a.code === code);
const invoices = () => s.invoicesOf(0);

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
  s.sim.sim.injectFault({ operation: "commitReservation", kind: "latency", latencyMs: 1400, count: 1 });
  const flowId = await deliveringDeaf();
  await until("securing", () => flows().find((x) => x.flowId === flowId && x.state === "securing"), 15000);
  s.sim.sim.advanceClock(25);
  expect(invoices().map((i) => [i.status, i.reversed])).toEqual([["PAID", false]]);
  pumps.deliver(1, 500);
  pumps.deaf = false;
  await until("finished", () => flows().find((x) => x.flowId === flowId && x.finished), 10000);
  expect(pumps.deliver(1, 20000)).toBe(0);
  await until("alarm", () => alarms("delivered-unpaid").length === 1, 5000);
}, 30000);

it("restart while securing (daemon down, the customer fuels on): the restarted flow stops the pump and alarms the unpaid fuel", async () => {
  SETTINGS = { commitReservationTimeoutS: 4, commitSafetyMarginS: 1, deliveryStallMs: 400, glaseCallTimeoutMs: 600 };
  await open();
  const flowId = await deliveringDeaf();
  await until("securing", () => flows().find((x) => x.flowId === flowId && x.state === "securing"), 15000);
  await s.stop();
  pumps.deliver(1, 700); // while the agent is down
  pumps.deaf = false;
  await s.start();
  await until("finished", () => flows().find((x) => x.flowId === flowId && x.finished), 10000);
  expect(pumps.deliver(1, 20000)).toBe(0);
  await until("alarm", () => alarms("delivered-unpaid").length > 0, 5000);
}, 30000);
