// A station on a Technotrade PTS-2, for the station-level tests (flows/pts2-station, the PTS-2
// review repros): the Glase simulator with a customer confirming after 100 ms, a virtual PTS-2 with
// one pump behind digest auth (its hydraulics on a manual SimClock: tests meter with deliver()),
// a scratch directory for the journal, and the real PTS-2 driver on real time with a short poll.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PointConfig } from "../../../agent/engine-api.ts";
import { createLogger } from "../../../agent/log.ts";
import { systemScheduler } from "../../../drivers/dispenser/line-driver.ts";
import { MemoryDriverStore } from "../../../drivers/driver-store.ts";
import { openPts2Controller, type OpenedPts2Controller } from "../../../drivers/pts2/index.ts";
import { SimClock } from "../../../simulator/clock.ts";
import { VirtualPts2 } from "../../../simulator/devices/virtual-pts2.ts";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator } from "../../../simulator/glase/index.ts";
import { GRADES } from "../../drivers/pts2/helpers.ts";
import { PROVISION, TERMINALS } from "./station.ts";

/** Point 1, a fuel point on the controller's pump 1, with the two grades of GRADES. */
export const PTS_POINTS: PointConfig[] = [
  { id: 1, kind: "fuel", terminal: TERMINALS[0]!, currency: "SEK", maxPreliminaryMinor: 50000, stationName: "PTS Station", grades: [
    { id: "95", name: "Blyfri 95", unit: "L", unitPriceMinor: 1899, vatRatePercent: 25 },
    { id: "D", name: "Diesel", unit: "L", unitPriceMinor: 2049, vatRatePercent: 25 },
  ] },
];

export interface PtsRig {
  readonly dir: string;
  readonly sim: RunningGlaseSimulator;
  readonly twin: VirtualPts2;
}

/** The Glase simulator, the virtual PTS-2 (listening on a loopback port) and a scratch directory. */
export async function openPtsRig(dirPrefix: string): Promise<PtsRig> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION) });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 100 });
  const twin = new VirtualPts2({ scheduler: new SimClock({ manual: true }), pumps: 1, auth: { scheme: "digest", user: "agent", password: "pw" } });
  await twin.listen(0);
  return { dir, sim, twin };
}

/** Runs the test's closers (last opened first), then closes the twin and the simulator and removes the directory. */
export async function closePtsRig(rig: PtsRig, closers: Array<() => Promise<void>>): Promise<void> {
  for (const c of closers.splice(0).reverse()) await c();
  await rig.twin.close();
  await rig.sim.close();
  rmSync(rig.dir, { recursive: true, force: true });
}

/** The real PTS-2 driver at `url` (the twin's, or a proxy's in front of it), pump 1 as point 1. */
export function openPtsDriver(url: string, opts: { readonly store?: MemoryDriverStore; readonly requestTimeoutMs?: number } = {}): Promise<OpenedPts2Controller> {
  return openPts2Controller(
    { url, auth: { scheme: "digest", user: "agent", password: "pw" }, currency: "SEK", points: [{ point: 1, pump: 1 }], grades: GRADES, pollIntervalMs: 25, ...(opts.requestTimeoutMs !== undefined ? { requestTimeoutMs: opts.requestTimeoutMs } : {}) },
    { logger: createLogger("test.pts2"), scheduler: systemScheduler, store: opts.store ?? new MemoryDriverStore() },
  );
}
