// Test station: the real engine on a real journal file, GlaseClient over real HTTP to the Glase
// simulator, and a dispenser (in-memory twin or the line driver). Shared by the in-process
// integration tests and the crash child.
import type { EngineSettings, PaymentEngine, PointConfig } from "../../../agent/engine-api.ts";
import { createPaymentEngine } from "../../../agent/engine.ts";
import { GlaseClient } from "../../../agent/glase/client.ts";
import { openJournal } from "../../../agent/journal/journal.ts";
import type { GlaseApi } from "../../../agent/glase/types.ts";
import type { Journal } from "../../../agent/journal/types.ts";
import { createLogger } from "../../../agent/log.ts";
import type { DispenserController } from "../../../drivers/dispenser/contract.ts";
import { DEFAULT_GRADES } from "../../../drivers/dispenser/in-memory.ts";
import { systemScheduler } from "../../../drivers/dispenser/line-driver.ts";
import type { Scheduler } from "../../../base/clock.ts";
import type { ReceiptPrinter } from "../../../drivers/printer/contract.ts";

/** Short timeouts so a test run takes seconds; relations between them as in production. */
export const FAST_SETTINGS: EngineSettings = {
  commitReservationTimeoutS: 120,
  commitSafetyMarginS: 20,
  pollIntervalMs: 150,
  reservationWaitMs: 8000,
  nozzleLiftTimeoutMs: 1500,
  deliveryStallMs: 1500,
  posWindowMs: 3000,
  posExtraWindows: 1,
  glaseCallTimeoutMs: 2000,
  retryBaseMs: 100,
  retryMaxMs: 800,
  reportWaitMs: 300,
  reportRetryMs: 300,
  reportMaxRetries: 10,
  submitReceipts: false,
  retentionMs: 24 * 3600_000,
};

export const TERMINALS = [
  { terminalId: "0460000300002010", password: "2009" },
  { terminalId: "0460000300002011", password: "2011" },
  { terminalId: "0460000300002019", password: "2019" },
];

/** Simulator provisioning for TERMINALS (plus the default shop). */
export const PROVISION = {
  terminals: TERMINALS.map((t) => ({ id: t.terminalId, password: t.password, name: `terminal ${t.terminalId}` })),
};

export const RESELLER = { resellerId: "reseller", userId: "9900", password: "2009" };

export function stationPoints(): PointConfig[] {
  return [
    { id: 1, kind: "fuel", terminal: TERMINALS[0]!, currency: "SEK", maxPreliminaryMinor: 50000, stationName: "Test Station", grades: DEFAULT_GRADES },
    { id: 2, kind: "fuel", terminal: TERMINALS[1]!, currency: "SEK", maxPreliminaryMinor: 50000, stationName: "Test Station", grades: DEFAULT_GRADES },
    { id: 9, kind: "kiosk", terminal: TERMINALS[2]!, currency: "SEK", maxPreliminaryMinor: 0, stationName: "Test Kiosk" },
  ];
}

export interface Station {
  readonly engine: PaymentEngine;
  readonly journal: Journal;
  readonly glase: GlaseClient;
  close(): Promise<void>;
}

export async function openStation(opts: {
  readonly journalPath: string;
  readonly endpoint: string;
  readonly dispenser?: DispenserController;
  readonly printer?: ReceiptPrinter;
  readonly settings?: Partial<EngineSettings>;
  readonly onWriteBoundary?: (label: string) => void;
  /** Only these point ids (crash campaign lanes share one controller). */
  readonly pointIds?: readonly number[];
  /** Other points than stationPoints() (e.g. an EV charger). */
  readonly points?: readonly PointConfig[];
  /** Wraps the real client (e.g. to slow one terminal down). */
  readonly wrapGlase?: (glase: GlaseApi) => GlaseApi;
  /** Kiosk product release (the crash child counts every call). */
  readonly release?: (point: number, amountMinor: number, flowId: string) => Promise<void>;
  /** The engine's clock (default: the host's); a manual SimClock lets a test drive time itself. */
  readonly scheduler?: Scheduler;
}): Promise<Station> {
  const journal = await openJournal({ path: opts.journalPath, ...(opts.onWriteBoundary ? { onWriteBoundary: opts.onWriteBoundary } : {}) });
  const glase = new GlaseClient({ endpoint: opts.endpoint, clientId: "glase-agent-test", timeoutMs: 2000 });
  await glase.ready();
  const engine = createPaymentEngine({
    journal,
    glase: opts.wrapGlase ? opts.wrapGlase(glase) : glase,
    ...(opts.dispenser ? { dispenser: opts.dispenser } : {}),
    ...(opts.printer ? { printer: opts.printer } : {}),
    points: (opts.points ?? stationPoints()).filter((p) => !opts.pointIds || opts.pointIds.includes(p.id)),
    reseller: RESELLER,
    ...(opts.release ? { release: opts.release } : {}),
    settings: { ...FAST_SETTINGS, ...opts.settings },
    scheduler: opts.scheduler ?? systemScheduler,
    logger: createLogger("test.engine"),
  });
  return {
    engine,
    journal,
    glase,
    async close() {
      await engine.close();
      await journal.close();
      glase.close();
    },
  };
}

/** Polls a condition (bounded): the tests never sleep to synchronise. */
export async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
