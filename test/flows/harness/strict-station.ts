// A station on the STRICT Glase simulator, for the in-process flow tests: a scratch directory for
// the journal, the simulator (strict profile, a customer confirming after `confirmAfterMs`) and the
// real engine over SOAP to it (openStation), started. Close it with closeStrictStation.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EngineSettings } from "../../../agent/engine-api.ts";
import type { GlaseApi } from "../../../contracts/glase/types.ts";
import type { DispenserController } from "../../../drivers/dispenser/contract.ts";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator, type StartSimulatorOptions } from "../../../simulator/glase/index.ts";
import { PROVISION, openStation, type Station } from "./station.ts";

export interface StrictStation {
  readonly dir: string;
  readonly sim: RunningGlaseSimulator;
  readonly station: Station;
}

export interface StrictStationOptions {
  /** Prefix of the scratch directory's name (tells a leftover directory's test). */
  readonly dirPrefix: string;
  readonly dispenser?: DispenserController;
  /** The auto-customer confirms every invoice this long after it appears. */
  readonly confirmAfterMs: number;
  /** Simulator settings besides the strict profile (e.g. busyApplied). */
  readonly simSettings?: Omit<NonNullable<StartSimulatorOptions["settings"]>, "profile">;
  readonly pointIds?: readonly number[];
  readonly settings?: Partial<EngineSettings>;
  readonly onWriteBoundary?: (label: string) => void;
  readonly wrapGlase?: (glase: GlaseApi) => GlaseApi;
}

export async function openStrictStation(opts: StrictStationOptions): Promise<StrictStation> {
  const dir = mkdtempSync(join(tmpdir(), opts.dirPrefix));
  const sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION), settings: { profile: "strict", ...opts.simSettings } });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: opts.confirmAfterMs });
  const station = await openStation({
    journalPath: join(dir, "journal.db"),
    endpoint: sim.endpoint,
    ...(opts.dispenser !== undefined ? { dispenser: opts.dispenser } : {}),
    ...(opts.onWriteBoundary !== undefined ? { onWriteBoundary: opts.onWriteBoundary } : {}),
    ...(opts.wrapGlase !== undefined ? { wrapGlase: opts.wrapGlase } : {}),
    ...(opts.pointIds !== undefined ? { pointIds: opts.pointIds } : {}),
    ...(opts.settings !== undefined ? { settings: opts.settings } : {}),
  });
  await station.engine.start();
  return { dir, sim, station };
}

/** Closes the station, then the simulator, and removes the scratch directory. */
export async function closeStrictStation(s: StrictStation): Promise<void> {
  await s.station.close();
  await s.sim.close();
  rmSync(s.dir, { recursive: true, force: true });
}
