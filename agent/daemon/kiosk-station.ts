// The station's kiosk side: the engine-backed KioskHost (agent/kiosk/) over the station's kiosk
// points, built before the devices (the kiosk-api and mdb controllers sell through it) and bound
// to the station once it exists. The host reads its sales from the journal at once (a recovered
// POS flow asks for its release as soon as the engine starts), and resumes the rest (release
// deadlines, refunds) after the engine recovered its flows. The station may swap engines (reload,
// registration): the host asks for the current one each time and listens to the station's events.
import { Subject } from "rxjs";
import type { Scheduler } from "../../base/clock.ts";
import type { AgentConfig } from "../config/schema.ts";
import type { EngineEvent } from "../engine-api.ts";
import { AgentError } from "../../base/errors.ts";
import type { Journal } from "../journal/types.ts";
import { EngineKioskHost } from "../kiosk/engine-host.ts";
import type { Logger } from "../../base/log.ts";
import { readStoredTerminal } from "../config/credentials.ts";
import type { RefundGuard } from "./refund-guard.ts";
import type { Station } from "./station.ts";

export interface KioskStation {
  readonly host: EngineKioskHost;
  /** The engine's `release` (PaymentEngineOptions): kiosk sales release through their controller. */
  release(point: number, amountMinor: number, flowId: string): Promise<void>;
  /** The station exists: the host reaches its engine and hears its events. */
  attach(station: Station): void;
  /** After the engine started (recovered its flows). */
  resume(): Promise<void>;
  close(): void;
}

export async function openKioskStation(opts: {
  readonly config: AgentConfig;
  readonly journal: Journal;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly refundGuard: RefundGuard;
  /** Where assign-id keeps each point's Glase ID with its credentials (shown to the customer). */
  readonly terminalsDir?: string;
}): Promise<KioskStation | undefined> {
  const { config } = opts;
  const points = config.points
    .filter((p) => p.kind === "kiosk")
    .map((p) => ({ id: p.id, currency: config.station.currency, maxAmountMinor: p.maxPreliminaryMinor, ...(p.name !== undefined ? { name: p.name } : {}), ...(p.vatRatePercent !== undefined ? { vatRatePercent: p.vatRatePercent } : {}), ...(p.terminal?.id !== undefined ? { terminalId: p.terminal.id } : {}) }));
  if (points.length === 0) return undefined;
  let station: Station | undefined;
  const events = new Subject<EngineEvent>();
  const host = new EngineKioskHost({
    points,
    engine: () => {
      if (!station) throw new AgentError("CONFLICT", "the station is starting", { conflict: "point-unavailable" });
      return station.engine;
    },
    events$: events,
    journal: opts.journal,
    scheduler: opts.scheduler,
    logger: opts.logger,
    releaseTimeoutMs: config.flows.kioskReleaseTimeoutS * 1000,
    submitReceipts: config.flows.submitReceipts,
    refundGuard: opts.refundGuard,
  });
  await host.load();
  if (opts.terminalsDir !== undefined) {
    for (const p of points) {
      const stored = await readStoredTerminal(opts.terminalsDir, p.id).catch(() => undefined);
      if (stored?.seqrId) host.setGlaseId(p.id, stored.seqrId);
    }
  }
  return {
    host,
    release: (point, amountMinor, flowId) => host.release(point, amountMinor, flowId),
    attach(s) {
      station = s;
      s.events$.subscribe((e) => {
        if (e.type === "flow" || e.type === "alarm" || e.type === "receipt" || e.type === "point") events.next(e);
      });
    },
    resume: () => host.resume(),
    close: () => {
      host.close();
      events.complete();
    },
  };
}
