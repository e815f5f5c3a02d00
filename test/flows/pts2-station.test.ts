// End to end with a Technotrade PTS-2: the real payment engine (createPaymentEngine, real journal,
// GlaseClient over HTTP to the Glase simulator) driving the real PTS-2 driver over loopback HTTP to
// the virtual PTS-2. A lifted nozzle reserves, the reservation becomes the pump's Amount dose, the
// fill is committed at the controller's metered amount, and the transaction is closed once settled
// — also when the engine restarts mid-fill. The device layer (issue 12) will call settled(); here
// the test wires it the way the shell will: on the flow's finish.
import { type AddressInfo, type Socket, connect, createServer } from "node:net";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { EngineSettings } from "../../agent/engine-api.ts";
import type { DispenserController } from "../../drivers/dispenser/contract.ts";
import { MemoryDriverStore } from "../../drivers/driver-store.ts";
import type { OpenedPts2Controller } from "../../drivers/pts2/index.ts";
import type { VirtualPts2 } from "../../simulator/devices/virtual-pts2.ts";
import type { RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { PTS_POINTS as points, closePtsRig, openPtsDriver, openPtsRig } from "./harness/pts-station.ts";
import { TERMINALS, openStation, until, type Station } from "./harness/station.ts";

let dir: string, sim: RunningGlaseSimulator, twin: VirtualPts2;
const closers: Array<() => Promise<void>> = [];
beforeEach(async () => void ({ dir, sim, twin } = await openPtsRig("pts2-e2e-")));
afterEach(() => closePtsRig({ dir, sim, twin }, closers));

async function openPts(store: MemoryDriverStore): Promise<OpenedPts2Controller> {
  const driver = await openPtsDriver(twin.url, { store });
  closers.push(() => driver.close());
  return driver;
}

async function openPtsStation(driver: OpenedPts2Controller, settings: Partial<EngineSettings> = {}): Promise<Station> {
  const station = await openStation({ journalPath: join(dir, "journal.db"), endpoint: sim.endpoint, dispenser: driver, points, settings });
  // What the device layer will do: tell the driver when a flow is over.
  station.engine.events$.subscribe((e) => {
    if (e.type === "flow" && e.flow.finished) void driver.settled?.(e.flow.flowId);
  });
  await station.engine.start();
  return station;
}

const invoices = () => sim.sim.dump().invoices.filter((i) => i.terminalId === TERMINALS[0]!.terminalId);
const pumpTx = () => twin.pumps.pumps.get(1)!;

it("a fill settles to the controller's metered amount: reserve, Amount dose, commit, receipt, transaction closed", async () => {
  const driver = await openPts(new MemoryDriverStore());
  const station = await openPtsStation(driver);
  closers.push(() => station.close());

  twin.liftNozzle(1, 1); // the customer's call
  await until("the pump authorized", () => pumpTx().current?.state === "Filling");
  const auth = twin.received.filter((p) => p.Type === "PumpAuthorize")[0]!.Data;
  expect(auth).toMatchObject({ Type: "Amount", Dose: 500, Price: 18.99, Nozzle: 1 });
  twin.deliver(1, 23_456);
  twin.hangUp(1);

  const flow = await until("a finished flow", () => station.engine.snapshot().flows.find((f) => f.finished));
  expect(flow.outcome).toBe("paid");
  const metered = Math.floor((23_456 * 1899 + 500) / 1000); // 445.43 SEK, the controller's own figure
  expect(twin.pumps.records.get(`1:${String(auth.Transaction)}`)!.amountMinor).toBe(metered);
  expect(invoices()).toHaveLength(1);
  expect(invoices()[0]).toMatchObject({ status: "PAID", reservedMinor: 50000, paidMinor: metered, commitCalls: 1 });
  const [receipt] = await station.engine.receipts();
  expect(receipt?.content).toMatchObject({ amountMinor: metered, milli: 23_456, unit: "L" });
  await until("the transaction closed", () => pumpTx().current === undefined && pumpTx().last?.state === "Finished");
});

it("engine restart mid-fill: the new engine and driver find the flow's PTS transaction and settle it once, at the metered amount", async () => {
  const store = new MemoryDriverStore(); // the shell's durable driver storage survives the restart
  const first = await openPts(store);
  const station1 = await openPtsStation(first);

  twin.liftNozzle(1, 2);
  await until("filling", () => pumpTx().current?.state === "Filling");
  twin.deliver(1, 8_000);
  await until("progress journaled", () => station1.engine.snapshot().points.find((p) => p.point === 1)?.milli === 8_000);
  await station1.close(); // the agent dies mid-fill
  await first.close();
  twin.deliver(1, 4_000); // the customer keeps filling meanwhile

  const second = await openPts(store);
  const station2 = await openPtsStation(second);
  closers.push(() => station2.close());
  twin.deliver(1, 1_000);
  twin.hangUp(1);

  const flow = await until("the recovered flow finished", () => station2.engine.snapshot().flows.find((f) => f.finished));
  expect(flow.outcome).toBe("paid");
  const metered = Math.floor((13_000 * 2049 + 500) / 1000); // 266.37 SEK
  expect(invoices()).toHaveLength(1);
  expect(invoices()[0]).toMatchObject({ status: "PAID", paidMinor: metered, commitCalls: 1 });
  expect(twin.received.filter((p) => p.Type === "PumpAuthorize")).toHaveLength(1);
  await until("the transaction closed", () => pumpTx().current === undefined);
});

it("restart after the stop was journaled but before it reached the controller: the still-filling sale is stopped again and settled at its final figure, never at the running one", async () => {
  // The PTS-2 driver author's report: a flow in "stopping" whose PumpStop never left (the crash came
  // between the journal write and the command) must not settle on the sale record it reads after the
  // restart — the pump is still filling, so that figure is not final (the customer would fill on to
  // the dose and pay the figure at the read).
  const store = new MemoryDriverStore();
  const first = await openPts(store);
  const lostStop: DispenserController = {
    onEvent: (fn) => first.onEvent(fn),
    hello: () => first.hello(),
    status: () => first.status(),
    prices: () => first.prices(),
    authorize: (cmd) => first.authorize(cmd),
    stop: () => new Promise<void>(() => undefined), // journaled, never sent: the process dies now
    display: (point, text) => first.display(point, text),
    saleRecord: (id) => first.saleRecord(id),
    close: () => first.close(),
  };
  const station1 = await openStation({ journalPath: join(dir, "journal.db"), endpoint: sim.endpoint, dispenser: lostStop, points });
  await station1.engine.start();
  twin.liftNozzle(1, 1);
  await until("filling", () => pumpTx().current?.state === "Filling");
  twin.deliver(1, 6_000);
  await until("progress seen", () => station1.engine.snapshot().points.find((p) => p.point === 1)?.milli === 6_000);
  await station1.engine.stopPoint(1);
  await until("stop journaled", () => station1.engine.snapshot().flows.find((f) => f.state === "stopping"));
  await station1.close(); // dies before the PumpStop is sent
  await first.close();
  expect(twin.received.filter((p) => p.Type === "PumpStop")).toHaveLength(0);
  // (the first driver probed its number with this packet before authorizing: count from here)
  const readsBefore = twin.received.filter((p) => p.Type === "PumpGetTransactionInformation").length;

  const second = await openPts(store);
  const station2 = await openPtsStation(second);
  closers.push(() => station2.close());
  await until("the restarted flow read the transaction", () => twin.received.filter((p) => p.Type === "PumpGetTransactionInformation").length > readsBefore);
  twin.deliver(1, 2_000); // still filling after that read: 8 L when the stop takes
  const flow = await until("the recovered flow finished", () => station2.engine.snapshot().flows.find((f) => f.finished));
  expect(flow.outcome).toBe("paid");
  expect(twin.received.filter((p) => p.Type === "PumpStop").length).toBeGreaterThan(0);
  const tx = [...twin.pumps.records.values()].at(-1)!;
  expect(invoices()[0]).toMatchObject({ status: "PAID", paidMinor: tx.amountMinor, commitCalls: 1 });
  expect(tx.amountMinor).toBe(Math.floor((8_000 * 1899 + 500) / 1000));
});

it("a pump selling at another price than authorized (review 14 #3): PTS_SALE_MISMATCH stops the fill, the commit is at most the authorized price's amount, and the alarm names it", async () => {
  const driver = await openPts(new MemoryDriverStore());
  const station = await openPtsStation(driver);
  closers.push(() => station.close());
  twin.liftNozzle(1, 1);
  await until("filling", () => pumpTx().current?.state === "Filling");
  pumpTx().current!.priceMinor = 2500; // the pump ignores PumpAuthorize.Price (18.99)
  twin.deliver(1, 4_000);
  const flow = await until("the flow finished", () => station.engine.snapshot().flows.find((f) => f.finished));
  expect(flow.outcome).toBe("paid");
  expect(twin.received.some((p) => p.Type === "PumpStop")).toBe(true); // stopped on the mismatch
  const tx = [...twin.pumps.records.values()].at(-1)!;
  expect(tx.amountMinor).toBe(10_000); // the pump's own figure at 25.00
  expect(invoices()[0]).toMatchObject({ status: "PAID", paidMinor: Math.floor((tx.milli * 1899 + 500) / 1000), commitCalls: 1 });
  expect(station.engine.snapshot().alarms.map((a) => a.code)).toContain("device-fault-PTS_SALE_MISMATCH");
});

/** A TCP hop between the driver and the controller that the test can cut: the controller runs on, the agent cannot reach it. */
async function cuttableLink(target: number): Promise<{ readonly url: string; cut(down: boolean): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let down = false;
  const server = createServer((client) => {
    if (down) return void client.destroy();
    const upstream = connect(target, "127.0.0.1");
    for (const s of [client, upstream]) (sockets.add(s), s.on("close", () => sockets.delete(s)), s.on("error", () => undefined));
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: twin.url.replace(/:\d+\//, `:${port}/`),
    cut(d) {
      down = d;
      if (d) for (const s of sockets) s.destroy();
    },
    close: () => new Promise<void>((r) => (server.close(() => r()), [...sockets].forEach((s) => s.destroy()))),
  };
}

it.each(["none", "cancel"] as const)("a flow parked while the controller is unreachable mid-fill (technician action: %s): the PTS-2 driver stops the pump once the link is back, nothing more is delivered unpaid (review 2 of issue 9, C)", async (action) => {
  const link = await cuttableLink(Number(new URL(twin.url).port));
  closers.push(() => link.close());
  const driver = await openPtsDriver(link.url);
  closers.push(() => driver.close());
  const station = await openPtsStation(driver, { commitReservationTimeoutS: 4, commitSafetyMarginS: 1, deliveryStallMs: 400 });
  closers.push(() => station.close());
  twin.liftNozzle(1, 1);
  await until("filling", () => pumpTx().current?.state === "Filling");
  const flow = await until("flow", () => station.engine.snapshot().flows.find((f) => f.point === 1));
  twin.deliver(1, 1_000);
  await until("progress seen", () => station.engine.snapshot().points.find((p) => p.point === 1)?.milli === 1_000);
  link.cut(true); // the controller and its pump run on; the agent reaches neither
  await until("parked", () => station.engine.snapshot().flows.find((f) => f.flowId === flow.flowId && f.parked), 15_000);
  if (action === "cancel") {
    await station.engine.resolveParked(flow.flowId, "cancel");
    await until("invoice closed, pump still guarded", () => station.engine.snapshot().flows.find((f) => f.flowId === flow.flowId && f.state === "securing"), 5_000);
  }
  link.cut(false);
  await until("the pump stopped", () => pumpTx().current?.state !== "Filling", 10_000);
  expect(twin.deliver(1, 20_000)).toBe(0);
  if (action === "none") {
    // The END was settled: paid if the reservation still held, else lapsed (the flow parks naming the unpaid amount).
    await until("settled", () => invoices()[0]?.status !== "RESERVED" && station.engine.snapshot().flows.find((f) => f.flowId === flow.flowId && (f.finished || f.parked)), 10_000);
  } else await until("flow finished", () => station.engine.snapshot().flows.find((f) => f.flowId === flow.flowId && f.finished), 10_000);
  if (action === "cancel") expect(station.engine.snapshot().alarms.find((a) => a.code === "delivered-unpaid")?.message).toContain("1899 delivered unpaid");
}, 40_000);

it("review 4 (R4-3): the first sale of a fresh install loses its PumpAuthorize answer — parked with PTS_OWNERSHIP_UNKNOWN, and `ctl resolve FLOW claim` (the technician saw it on the controller) settles it once at the controller's figures", async () => {
  const driver = await openPts(new MemoryDriverStore()); // no controllerUserId, nothing learned yet: the read-back proves nothing
  const station = await openPtsStation(driver);
  closers.push(() => station.close());
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  twin.liftNozzle(1, 1);
  await until("the pump authorized", () => pumpTx().current?.state === "Authorized" || pumpTx().current?.state === "Filling");
  twin.deliver(1, 20_000);
  twin.hangUp(1);
  const alarm = await until("PTS_OWNERSHIP_UNKNOWN", () => station.engine.snapshot().alarms.find((a) => a.code === "device-fault-PTS_OWNERSHIP_UNKNOWN"));
  const flowId = alarm.flowId!;
  expect(station.engine.snapshot().flows.find((f) => f.flowId === flowId)?.finished).toBeFalsy(); // not settled, not cancelled
  expect(invoices()[0]).toMatchObject({ commitCalls: 0 });
  await station.engine.resolveParked(flowId, "claim");
  const flow = await until("the claimed flow finished", () => station.engine.snapshot().flows.find((f) => f.flowId === flowId && f.finished));
  expect(flow.outcome).toBe("paid");
  const metered = Math.floor((20_000 * 1899 + 500) / 1000);
  expect(invoices()).toHaveLength(1);
  expect(invoices()[0]).toMatchObject({ status: "PAID", paidMinor: metered, commitCalls: 1 });
  expect(twin.received.filter((p) => p.Type === "PumpAuthorize")).toHaveLength(1);
});
