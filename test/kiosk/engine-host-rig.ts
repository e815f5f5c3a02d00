// A station for the engine-backed KioskHost: the real engine on a real journal file, GlaseClient
// over real HTTP to the Glase simulator, and the host wired the way the daemon wires it (the
// engine's release goes to the host; load before the engine starts, resume after). The Glase side
// is the simulator's customer (auto-confirm, or confirm/cancel by hand); money is read from its
// ledger, never from the agent's own view.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KioskSale } from "../../contracts/kiosk.ts";
import { createLogger } from "../../base/log.ts";
import { systemScheduler } from "../../base/clock.ts";
import { EngineKioskHost } from "../../agent/kiosk/engine-host.ts";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { PROVISION, TERMINALS, openStation, type Station } from "../flows/harness/station.ts";
import type { EngineSettings, PointConfig } from "../../agent/engine-api.ts";

export const KIOSK_POINT = { id: 9, currency: "SEK", glaseId: "GL-9", name: "Car wash 9", maxAmountMinor: 100_000, terminalId: TERMINALS[2]!.terminalId };

export function kioskPoints(): PointConfig[] {
  return [{ id: 9, kind: "kiosk", terminal: TERMINALS[2]!, currency: "SEK", maxPreliminaryMinor: 0, stationName: "Test Kiosk" }];
}

export interface KioskRig {
  readonly dir: string;
  readonly sim: RunningGlaseSimulator;
  station: Station;
  host: EngineKioskHost;
  /** Stops the engine and host (as a process exit would, without a last word) and starts them again on the same journal. */
  restart(): Promise<void>;
  close(): Promise<void>;
  /** Waits (on the host's events) for the first sale state that matches. */
  waitSale(saleId: string, match: (s: KioskSale) => boolean, what: string, timeoutMs?: number): Promise<KioskSale>;
  refundsOf(ersReference: string): Array<{ amountMinor: number; ersReference: string }>;
}

export async function openKioskRig(opts: { autoPayMs?: number; releaseTimeoutMs?: number; settings?: Partial<EngineSettings>; dir?: string; keepFinalMs?: number; submitReceipts?: boolean } = {}): Promise<KioskRig> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "kiosk-host-"));
  const sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION) });
  sim.sim.setAutoCustomer({ enabled: opts.autoPayMs !== undefined, confirmAfterMs: opts.autoPayMs ?? 0 });
  const open = async () => {
    let host: EngineKioskHost | undefined;
    const station = await openStation({
      journalPath: join(dir, "journal.db"),
      endpoint: sim.endpoint,
      points: kioskPoints(),
      settings: { ...(opts.submitReceipts ? { submitReceipts: true } : {}), ...opts.settings },
      release: (point, amount, flowId) => host!.release(point, amount, flowId),
    });
    host = new EngineKioskHost({
      points: [KIOSK_POINT],
      engine: () => station.engine,
      events$: station.engine.events$,
      journal: station.journal,
      scheduler: systemScheduler,
      logger: createLogger("test.kiosk-host"),
      releaseTimeoutMs: opts.releaseTimeoutMs ?? 60_000,
      ...(opts.keepFinalMs !== undefined ? { keepFinalMs: opts.keepFinalMs } : {}),
      ...(opts.submitReceipts ? { submitReceipts: true } : {}),
    });
    await host.load();
    await station.engine.start();
    await host.resume();
    return { station, host };
  };
  let parts = await open();
  const rig: KioskRig = {
    dir,
    sim,
    station: parts.station,
    host: parts.host,
    async restart() {
      rig.host.close();
      await rig.station.close();
      parts = await open();
      rig.station = parts.station;
      rig.host = parts.host;
    },
    async close() {
      rig.host.close();
      await rig.station.close();
      await sim.close();
    },
    waitSale(saleId, match, what, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => (off(), reject(new Error(`timed out waiting for ${what}`))), timeoutMs);
        const off = rig.host.subscribe((e) => {
          if (e.sale.saleId === saleId && match(e.sale)) (clearTimeout(t), off(), resolve(e.sale));
        });
        void rig.host.getSale(saleId).then((s) => s && match(s) && (clearTimeout(t), off(), resolve(s)));
      });
    },
    refundsOf: (ers) => sim.sim.dump().refunds.filter((r) => r.paymentReference === ers),
  };
  return rig;
}
