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
beforeEach(async () => void ({ dir, sim, twin } = await openPtsRig("pts2-r6-")));
afterEach(() => closePtsRig({ dir, sim, twin }, closers));

const pumpTx = () => twin.pumps.pumps.get(1)!;
const stops = () => twin.received.filter((p) => p.Type === "PumpStop" || p.Type === "PumpEmergencyStop").length;

it("R6-1: a parked (PTS_OWNERSHIP_UNKNOWN) authorization of OURS waiting for the nozzle is never revoked — after the reservation lapsed the next driver fuels free on our preset", async () => {
  // Fresh install (no id corroborated). The customer lifts, pays, hangs up while the reservation comes;
  // our PumpAuthorize is applied but its answer is lost: the read-back finds it (UserId 1 = the agent) but cannot prove it: parked.
  const driver = await openPtsDriver(twin.url, { requestTimeoutMs: 400 });
  closers.push(() => driver.close());
  const station = await openStation({ journalPath: join(dir, "journal.db"), endpoint: sim.endpoint, dispenser: driver, points, settings: { commitReservationTimeoutS: 4, commitSafetyMarginS: 1 } });
  await station.engine.start();
  closers.push(() => station.close());
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  twin.liftNozzle(1, 1);
  await until("a flow", () => station.engine.snapshot().flows.length > 0);
  twin.hangUp(1);
  await until("PTS_OWNERSHIP_UNKNOWN", () => station.engine.snapshot().alarms.find((a) => a.code === "device-fault-PTS_OWNERSHIP_UNKNOWN"), 10_000);
  expect(pumpTx().current).toMatchObject({ state: "WaitingNozzleUpForAuthorization", userId: 1 }); // OUR authorization, waiting
  // Well past the reservation's lapse (4 s): the customer's money is released, nobody claimed the sale.
  await new Promise((r) => setTimeout(r, 7_000)); // (bounded wait: the correct agent revokes the authorization; nothing to wait on when it does not)
  const waiting = pumpTx().current?.state;
  twin.liftNozzle(1, 1); // the next driver
  const free = twin.deliver(1, 20_000);
  const flow = station.engine.snapshot().flows[0] as { parked?: unknown; phase?: unknown } | undefined;
  // (the 3f86079 code revoked it: EndOfTransaction at 0 ml; this code leaves it live)
  expect({ revoked: waiting !== "WaitingNozzleUpForAuthorization", freeMilli: free, flow: { parked: flow?.parked, phase: flow?.phase } })
    .toMatchObject({ revoked: true, freeMilli: 0 });
}, 30_000);
