// A station on the STRICT Glase simulator, for the in-process flow tests: a scratch directory for
// the journal, the simulator (strict profile, a customer confirming after `confirmAfterMs`) and the
// real engine over SOAP to it (openStation), started. Close it with closeStrictStation.
// A test that restarts its station on the same journal takes a ScratchStation (strictStationsPerTest).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import type { EngineSettings, FlowSummary } from "../../../agent/engine-api.ts";
import type { GlaseApi } from "../../../contracts/glase/types.ts";
import type { DispenserController } from "../../../drivers/dispenser/contract.ts";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator, type SimDump, type StartSimulatorOptions } from "../../../simulator/glase/index.ts";
import { PROVISION, TERMINALS, openStation, type Station } from "./station.ts";

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
  return { dir, sim, station: await startStation(opts, join(dir, "journal.db"), sim) };
}

/** The station of `opts` on the journal file, over SOAP to `sim`, its engine started. */
async function startStation(opts: StrictStationOptions, journalPath: string, sim: RunningGlaseSimulator): Promise<Station> {
  const station = await openStation({
    journalPath,
    endpoint: sim.endpoint,
    ...(opts.dispenser !== undefined ? { dispenser: opts.dispenser } : {}),
    ...(opts.onWriteBoundary !== undefined ? { onWriteBoundary: opts.onWriteBoundary } : {}),
    ...(opts.wrapGlase !== undefined ? { wrapGlase: opts.wrapGlase } : {}),
    ...(opts.pointIds !== undefined ? { pointIds: opts.pointIds } : {}),
    ...(opts.settings !== undefined ? { settings: opts.settings } : {}),
  });
  await station.engine.start();
  return station;
}

/** Closes the station, then the simulator, and removes the scratch directory. */
export async function closeStrictStation(s: StrictStation): Promise<void> {
  await s.station.close();
  await s.sim.close();
  rmSync(s.dir, { recursive: true, force: true });
}

/** Glase's invoice states that a customer can still pay or reserve. */
export const OPEN_INVOICE_STATUSES = ["ISSUED", "PENDING_ISSUER_ACKNOWLEDGE", "RESERVED"];

/** A strict station whose engine can be stopped and started again on the same journal file. */
export interface ScratchStation extends StrictStation {
  readonly journalPath: string;
  /** The engine's flows now. */
  flows(): readonly FlowSummary[];
  /** The simulator's invoices on TERMINALS[t]. */
  invoicesOf(t: number): SimDump["invoices"];
  /** Closes the station — the agent is down; the simulator and the journal file stay. */
  stop(): Promise<void>;
  /** Opens a new station with the same options on the same journal, its engine started; `station` is it from then on. */
  start(): Promise<Station>;
  /** stop() then start(): an orderly restart of the agent. */
  restart(): Promise<Station>;
}

interface Opened {
  current: Station | undefined;
  readonly sim: RunningGlaseSimulator;
  readonly dir: string;
}

/**
 * Opens ScratchStations for the test and closes each after it (afterEach): its station (if one is
 * running), then its simulator, then its scratch directory.
 */
export function strictStationsPerTest(): (opts: StrictStationOptions) => Promise<ScratchStation> {
  const open: Opened[] = [];
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) {
      await o.current?.close();
      await o.sim.close();
      rmSync(o.dir, { recursive: true, force: true });
    }
  });
  return async (opts) => {
    const first = await openStrictStation(opts);
    const o: Opened = { current: first.station, sim: first.sim, dir: first.dir };
    open.push(o);
    const journalPath = join(first.dir, "journal.db");
    const running = (): Station => {
      if (!o.current) throw new Error("the scratch station is not running (stopped, or its start failed)");
      return o.current;
    };
    const stop = async (): Promise<void> => {
      const old = o.current;
      o.current = undefined; // closed once, even if the next start fails
      await old?.close();
    };
    const start = async (): Promise<Station> => {
      if (o.current) throw new Error("the scratch station is already running");
      o.current = await startStation(opts, journalPath, first.sim);
      return o.current;
    };
    return {
      dir: first.dir,
      sim: first.sim,
      journalPath,
      get station(): Station {
        return running();
      },
      flows: () => running().engine.snapshot().flows,
      invoicesOf: (t) => first.sim.sim.dump().invoices.filter((i) => i.terminalId === TERMINALS[t]!.terminalId),
      stop,
      start,
      restart: async () => {
        await stop();
        return start();
      },
    };
  };
}
