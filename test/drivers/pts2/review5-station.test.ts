// Fifth hostile review of issue 14 — station-level repros (real engine + journal + Glase simulator +
// real PTS-2 driver over loopback HTTP to the virtual PTS-2). Each test asserts the CORRECT behaviour.
// Run: cp into test/drivers/pts2/ and `npx vitest run test/drivers/pts2/review5-station.test.ts`.
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { RunningGlaseSimulator } from "../../../simulator/glase/index.ts";
import type { VirtualPts2 } from "../../../simulator/devices/virtual-pts2.ts";
import { PTS_POINTS as points, closePtsRig, openPtsDriver, openPtsRig } from "../../flows/harness/pts-station.ts";
import { openStation, until } from "../../flows/harness/station.ts";

let dir: string, sim: RunningGlaseSimulator, twin: VirtualPts2;
const closers: Array<() => Promise<void>> = [];
beforeEach(async () => void ({ dir, sim, twin } = await openPtsRig("pts2-r5-")));
afterEach(() => closePtsRig({ dir, sim, twin }, closers));

const pumpTx = () => twin.pumps.pumps.get(1)!;
const stops = () => twin.received.filter((p) => p.Type === "PumpStop" || p.Type === "PumpEmergencyStop").length;

it("R5-1: a flow parked with PTS_OWNERSHIP_UNKNOWN (the alarm: 'not stopped') keeps PumpStop-ing its pump — here the attendant's POS cash sale that holds the number", async () => {
  // A fresh install (nothing corroborated). Our PumpAuthorize never reaches the controller, the read-back meets a busy controller,
  // and the attendant authorizes the waiting customer at the POS (user 2): the POS's sale takes our number (LastTransaction+1).
  const driver = await openPtsDriver(twin.url, { requestTimeoutMs: 400 });
  closers.push(() => driver.close());
  const station = await openStation({ journalPath: join(dir, "journal.db"), endpoint: sim.endpoint, dispenser: driver, points, settings: { commitReservationTimeoutS: 4, commitSafetyMarginS: 1 } });
  await station.engine.start();
  closers.push(() => station.close());
  const real = twin.pumps.transactionInfo.bind(twin.pumps);
  let probed = false;
  let busy = true;
  let calls = 0;
  twin.pumps.transactionInfo = (d) => (++calls, !probed ? ((probed = true), real(d)) : busy ? { ok: false, code: 41 } : real(d)); // the probe answers, then busy
  twin.inject({ type: "drop-request", packetType: "PumpAuthorize" });
  twin.liftNozzle(1, 1);
  await until("our read-back met the busy controller", () => calls >= 2);
  twin.pumps.requestUser = 2;
  expect(twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Volume", Dose: 30, Price: 18.99 })).toMatchObject({ ok: true, data: { Transaction: 1 } });
  twin.pumps.requestUser = undefined;
  twin.deliver(1, 2_000);
  busy = false;
  await until("PTS_OWNERSHIP_UNKNOWN", () => station.engine.snapshot().alarms.find((a) => a.code === "device-fault-PTS_OWNERSHIP_UNKNOWN"));
  const before = stops();
  await until("parked", () => station.engine.snapshot().flows.find((f) => f.parked), 10_000);
  twin.deliver(1, 1_000);
  // Bounded wait (the correct agent sends nothing, so this runs out after 3 s): does a stop reach the POS's pump?
  await until("a PumpStop", () => stops() > before, 3_000).catch(() => undefined);
  expect({ stopsSent: stops() - before, posSale: pumpTx().current?.state }).toEqual({ stopsSent: 0, posSale: "Filling" });
}, 30_000);

