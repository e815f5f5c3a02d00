// Composition root: from a validated config to a running station. Picks the real or virtual
// implementation of every part, in startup order — open the journal, reach Glase (or start the
// embedded simulator), create the device drivers (a missing device is retried in the background
// and shown degraded, never fatal), then build the engine and recover unfinished flows. The
// caller (run.ts) then opens the sockets and says READY.
import { ensureDirectory } from "../../base/io/durable-file.ts";
import { SimClock } from "./simulation.ts";
import type { Grade } from "../../contracts/dispenser.ts";
import { systemScheduler } from "../../drivers/dispenser/line-driver.ts";
import { GlaseClient } from "../glase/client.ts";
import type { ResellerCredentials, TerminalCredentials } from "../../contracts/glase/types.ts";
import { openJournal } from "../journal/journal.ts";
import type { Journal } from "../journal/types.ts";
import { safeValue, type Logger } from "../../base/log.ts";
import { AgentError } from "../../base/errors.ts";
import { controllersOf } from "../config/controllers.ts";
import { openDriverStores } from "../journal/driver-store.ts";
import { assertNoRestoreInProgress } from "../backup/restore-swap.ts";
import { adoptRenamedControllers, orphanedRecordsAlarm } from "./driver-records.ts";
import { resellerCredentials, terminalCredentials } from "../config/credentials.ts";
import type { AgentPaths } from "../config/paths.ts";
import type { AgentConfig } from "../config/schema.ts";
import { DeviceHealthBoard } from "./device-health.ts";
import { openDevices, type StationDevices } from "./devices.ts";
import { openGlaseBackend, type GlaseBackend } from "./glase-backend.ts";
import { Station } from "./station.ts";
import { openKioskStation } from "./kiosk-station.ts";
import { RefundGuard } from "./refund-guard.ts";
import { StationMetrics } from "./station-metrics.ts";
import { TerminalManager } from "./terminals.ts";
import { startInvoiceIssuer } from "./invoice-issuer.ts";
import { OperatorTools } from "./operator-tools.ts";
import { startAlerts } from "./alerts.ts";
import { alarmSourceOf } from "../alerts/alarm-source.ts";
import { localizedDisplays, stationLocaleOf } from "./station-locale.ts";
import type { InvoiceAlarm } from "../invoice-service/settlement.ts";
import { join } from "node:path";

export interface ComposeOptions {
  readonly config: AgentConfig;
  readonly paths: AgentPaths;
  readonly logger: Logger;
  readonly version: string;
  /** Enables the debug-block-loop admin command (GLASE_AGENT_TEST_HOOKS=1). */
  readonly testHooks?: boolean;
  /** Event-loop lag of the health monitor, for the metrics. */
  readonly eventLoopLagMs?: () => number;
}

export interface ComposedStation {
  readonly station: Station;
  readonly metrics: StationMetrics;
  readonly devices: StationDevices;
  readonly glase: GlaseBackend;
  readonly simClock: SimClock;
  readonly journal: Journal;
  readonly recovery: { resumed: number; parked: number };
  /** Closes devices, the embedded simulator and the journal (after the engine was stopped). */
  close(): Promise<void>;
}

/**
 * Grade names/VAT for receipts and invoice rows: what the controllers' entries configure, and for
 * a controller that configures none (a real line board) what it answers to PRICES (bounded). The
 * devices' prices still win for amounts.
 */
async function gradesOf(config: AgentConfig, devices: StationDevices, logger: Logger): Promise<readonly Grade[]> {
  const grades = new Map<string, Grade>();
  let askDevices = false;
  for (const c of controllersOf(config)) {
    const configured = c.module.gradesOf(c.config);
    if (configured.length === 0) askDevices = true;
    for (const g of configured) if (!grades.has(g.id)) grades.set(g.id, g);
  }
  if (askDevices) {
    try {
      const answered = await Promise.race([devices.dispenser.prices(), new Promise<never>((_, reject) => setTimeout(() => reject(new AgentError("DEVICE_TIMEOUT", "no PRICES answer")), 3_000).unref())]);
      for (const g of answered) if (!grades.has(g.id)) grades.set(g.id, g);
    } catch (err) {
      logger.warn("grades-unknown", { reason: "controller did not answer PRICES", err });
    }
  }
  return [...grades.values()];
}

export async function composeStation(opts: ComposeOptions): Promise<ComposedStation> {
  const { config, paths, logger } = opts;
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch((err: unknown) => logger.warn("close-failed", { err }));
  };
  try {
    // Created durably: a state directory whose entry a power cut takes back loses the journal with it.
    await ensureDirectory(paths.stateDir, 0o700);
    // A half-swapped restore (a power cut in `glase-agent restore`) is never opened: re-run or abort it.
    await assertNoRestoreInProgress(paths.stateDir);
    let station: Station | undefined;
    const board = new DeviceHealthBoard(() => Date.now(), logger.child("devices"));
    const metrics = new StationMetrics({
      points: () => station?.points() ?? [],
      alarms: () => station?.alarms() ?? [],
      devices: () => board.list(),
      eventLoopLagMs: opts.eventLoopLagMs ?? (() => 0),
      now: () => Date.now(),
    });

    // 1. Journal first: nothing may happen that is not journaled.
    const rawJournal = await openJournal({ path: paths.journal });
    closers.push(() => rawJournal.close());
    const journal = metrics.instrumentJournal(rawJournal);
    board.set("journal", "sqlite", "ok", paths.journal);

    // 2. Glase.
    const terminals = new Map<number, TerminalCredentials>();
    for (const p of config.points) {
      // Unusable credentials stop only their point: the station shows it out of service with an alarm.
      const t = await terminalCredentials(p, paths.terminalsDir).catch(() => undefined);
      if (t) terminals.set(p.id, t);
    }
    // The shop password is read here only for the embedded simulator, which is provisioned with
    // the shop (and cannot start without it). A real station sells without it: the Station reads
    // it at each engine start and shows an unreadable one as an alarm (registration and shop-wide
    // reconciliation wait for the fix) — it never keeps the station dark.
    const embedded = config.glase.endpoint === "embedded-simulator";
    const reseller: ResellerCredentials | undefined = embedded && config.glase.reseller ? await resellerCredentials(config) : undefined;
    // Passwords read from files: masked in any log line, wherever they would appear.
    safeValue({ terminals: [...terminals.values()], reseller });
    const simClock = new SimClock({ timeScale: config.simulation?.timeScale ?? 1 });
    const glase = await openGlaseBackend({ config, terminals, ...(reseller ? { reseller } : {}), clock: simClock, logger: logger.child("glase") });
    closers.push(() => glase.close());
    const client = new GlaseClient({ endpoint: glase.endpoint, clientId: config.glase.clientId, timeoutMs: config.glase.timeouts.requestMs, logger: logger.child("glase.client") });
    board.set("glase", glase.embedded ? "embedded-simulator" : "soap", "ok", glase.endpoint);
    const api = metrics.instrumentGlase(client);

    // 3. Devices (bounded wait; drivers keep reconnecting in the background), with the drivers'
    // durable storage beside the journal.
    const stores = await openDriverStores(join(paths.stateDir, "drivers.sqlite"));
    closers.push(() => stores.close());
    // A renamed controller keeps its driver's records (open transactions), or an alarm names them.
    const driverRecords = await adoptRenamedControllers(
      stores,
      controllersOf(config).map((c) => ({ id: c.config.id, driver: c.module.driver, points: c.points })),
      logger.child("devices"),
    );
    // Kiosks and vending machines sell through the kiosk host (its sales read from the journal now).
    const refundGuard = new RefundGuard(journal);
    const kiosk = await openKioskStation({ config, journal, scheduler: systemScheduler, logger: logger.child("kiosk"), refundGuard, terminalsDir: paths.terminalsDir });
    if (kiosk) closers.push(async () => kiosk.close());
    const devices = await openDevices({ config, board, logger: logger.child("devices"), scheduler: systemScheduler, simScheduler: simClock, stores, ...(kiosk ? { kiosk: kiosk.host } : {}) });
    closers.push(() => devices.close());

    // 4. Invoice Service issuer (optional): its own journal, endpoint and settlement.
    // Optional in the strong sense: a damaged invoices.sqlite or a refused secret stops the Invoice
    // Service, never the pumps (an alarm below, like a device that cannot open); a port someone
    // else holds is an alarm and a retried bind (invoice-service/listener.ts).
    // Its alarms go to the station's alarm book; those raised while it opens wait for the station.
    const earlyInvoiceAlarms: InvoiceAlarm[] = [];
    let invoiceAlarm: (a: InvoiceAlarm) => void = (a) => void earlyInvoiceAlarms.push(a);
    let invoiceAlarmCleared: (kind: InvoiceAlarm["kind"]) => void = (kind) => {
      for (let i = earlyInvoiceAlarms.length - 1; i >= 0; i--) if (earlyInvoiceAlarms[i]!.kind === kind) earlyInvoiceAlarms.splice(i, 1);
    };
    const issuerStart = await startInvoiceIssuer({ config, stateDir: paths.stateDir, glase, ...(devices.printer ? { printer: devices.printer } : {}), logger: logger.child("issuer"), onAlarm: (a) => invoiceAlarm(a), onAlarmCleared: (k) => invoiceAlarmCleared(k) }).then(
      (started) => ({ started, failure: undefined }),
      (e: unknown) => ({ started: undefined, failure: e instanceof Error ? e.message : String(e) }),
    );
    const issuer = issuerStart.started;
    if (issuer) closers.push(() => issuer.close());

    // 5. The alerting hook (optional): listens from before the first alarm can be raised.
    const alerts = await startAlerts({ config, version: opts.version, logger: logger.child("alerts"), metrics: metrics.registry });
    if (alerts) closers.push(async () => alerts.close());

    // 6. Engine + recovery.
    const manager = new TerminalManager({
      config,
      terminalsDir: paths.terminalsDir,
      glase: api,
      reseller: () => resellerCredentials(config),
      logger: logger.child("terminals"),
      endpoint: glase.endpoint,
    });
    station = new Station({
      config,
      version: opts.version,
      devices,
      board,
      terminals: manager,
      grades: await gradesOf(config, devices, logger),
      engineBase: {
        journal,
        glase: api,
        // The flows speak English; the customer reads the station's language.
        dispenser: localizedDisplays(devices.dispenser, stationLocaleOf(config).locale),
        ...(devices.printer ? { printer: devices.printer } : {}),
        ...(reseller ? { reseller } : {}),
        scheduler: systemScheduler,
        wallClock: Date.now,
        logger: logger.child("engine"),
        ...(kiosk ? { release: kiosk.release } : {}),
      },
      refundGuard,
      ...(kiosk ? { kiosk: kiosk.host } : {}),
      logger,
      testHooks: opts.testHooks ?? false,
      ...(issuer ? { issuer } : {}),
      operator: new OperatorTools({
        stateDir: paths.stateDir,
        journalPath: paths.journal,
        invoiceJournalPath: join(paths.stateDir, "invoices.sqlite"),
        driverStorePath: join(paths.stateDir, "drivers.sqlite"),
        terminalsDir: paths.terminalsDir,
        station: () => station!.config.station.name,
        currency: () => station!.config.station.currency,
        version: opts.version,
        ...(devices.printer ? { printer: devices.printer, printerKind: config.devices.printer?.kind ?? "configured" } : {}),
      }),
      ...(alerts ? { alertStats: () => alerts.stats() } : {}),
      ...(embedded ? {} : { shop: (cfg: AgentConfig) => (cfg.glase.reseller ? resellerCredentials(cfg) : Promise.resolve(undefined)) }),
    });
    if (alerts) alerts.listen(alarmSourceOf(station.events$));
    invoiceAlarm = (a) => station.raiseInvoiceAlarm(a);
    invoiceAlarmCleared = (kind) => station.clearInvoiceAlarm(kind);
    for (const a of earlyInvoiceAlarms.splice(0)) invoiceAlarm(a);
    station.events$.subscribe((e) => {
      if (e.type !== "device") metrics.onEngineEvent(e);
    });
    // A flow is over (its money settled or cancelled): the driver may release what it holds for it
    // (PTS-2: PumpCloseTransaction, which frees the pump for the next customer).
    station.events$.subscribe((e) => {
      if (e.type === "flow" && e.flow.finished) void devices.dispenser.settled?.(e.flow.flowId).catch((err: unknown) => logger.warn("driver-settled-failed", { flowId: e.flow.flowId, err }));
    });
    for (const f of devices.startFailures) {
      station.raiseStartAlarm({
        code: `device-${f.device}-unavailable`,
        message: `${f.device}${f.controller ? ` controller ${f.controller}` : ""} (${f.kind}) could not be started: ${f.message}. The station runs without it; fix the cause (device, permissions, native module) and \`systemctl restart glase-agent\`.`,
      });
    }
    for (const o of driverRecords.orphaned) station.raiseStartAlarm(orphanedRecordsAlarm(o));
    if (issuerStart.failure !== undefined) {
      station.raiseStartAlarm({
        code: "invoice-service-unavailable",
        message: `the Invoice Service could not be started: ${issuerStart.failure}. The points sell; Invoice Service invoices and notifications wait: fix the cause, then \`systemctl restart glase-agent\`.`,
      });
    }
    kiosk?.attach(station);
    const recovery = await station.startEngine();
    await kiosk?.resume();
    return { station, metrics, devices, glase, simClock, journal, recovery, close };
  } catch (err) {
    await close();
    throw err;
  }
}
