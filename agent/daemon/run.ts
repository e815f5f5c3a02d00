// `glase-agent run`: the daemon's lifecycle around the composed station.
//   start:   config → journal → recovery → devices → sockets/metrics → READY=1 (+STATUS=)
//   running: WATCHDOG=1 while healthy, STATUS= every few seconds, customers in simulation
//   SIGHUP:  RELOADING=1 → re-read the config → swap the engine (journal carries flows) → READY=1
//   SIGTERM/SIGINT: STOPPING=1, no new customers, running deliveries finish and settle within
//            flows.drainTimeoutS, then everything closes and the process exits 0. A second
//            signal, or the bound expiring, exits at once: every step is journaled, the next start
//            recovers whatever was still running.
import { controllersOf } from "../config/controllers.ts";
import { EXIT_CONFIG, isAgentError } from "../../base/errors.ts";
import { configureLogging, createLogger, safeValue } from "../../base/log.ts";
import { loadConfig } from "../config/load.ts";
import { resolvePaths, type AgentPaths } from "../config/paths.ts";
import type { AgentConfig } from "../config/schema.ts";
import { composeStation, type ComposedStation } from "./compose.ts";
import { isRestoreInProgress } from "../backup/restore-swap.ts";
import { CustomerGenerator } from "./customer-generator.ts";
import { startHealthMonitor, watchdogIntervalMs, type HealthMonitor } from "./health.ts";
import { serveMetrics, type MetricsServer } from "./metrics.ts";
import { installFailStop } from "./fail-stop.ts";
import { createNotifier, type Notifier } from "./notify.ts";
import { startSocketServers, type SocketServers } from "./sockets/server.ts";
import { statusLine } from "./status-line.ts";
import { agentVersion } from "../version.ts";

const log = createLogger("daemon");

export interface RunOptions {
  readonly configFile: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}


/** Sections whose change needs a restart (the reload swaps only the engine). */
const RESTART_SECTIONS = ["glase", "devices", "sockets", "metrics", "stateDir", "journal", "simulation", "invoiceService", "alerts"] as const;

export { EXIT_CONFIG };

/** The one line a failed start logs: the cause in words, its code, and the fields that locate it. */
function startFailure(err: unknown): { code: string; fields: Record<string, unknown> } {
  if (isAgentError(err)) {
    const problems = err.context.problems as string[] | undefined;
    const cause = problems ? `${String(err.context.file ?? "config")}: ${problems.join("; ")}` : err.message;
    const where = Object.fromEntries(Object.entries(err.context).filter(([k, v]) => k !== "problems" && (typeof v === "string" || typeof v === "number")));
    return { code: err.code, fields: { code: err.code, cause, ...where } };
  }
  const e = err as NodeJS.ErrnoException;
  return { code: "INTERNAL", fields: { code: e?.code ?? "INTERNAL", cause: e?.message ?? String(err) } };
}

/** Test hooks exist only in development runs (tsx); the production bundle compiles them out. */
declare const GLASE_AGENT_PRODUCTION: boolean | undefined;
const PRODUCTION = typeof GLASE_AGENT_PRODUCTION === "boolean" && GLASE_AGENT_PRODUCTION;

/**
 * Signals that arrive while the agent starts. Without a listener Node applies the default action —
 * SIGTERM, SIGINT and SIGHUP all kill the process by that signal — so from the first line of
 * runDaemon they are only remembered: a stop is carried out once the start is over (or failed),
 * a reload once the agent is ready.
 */
class StartSignals {
  stop?: NodeJS.Signals;
  reload = false;
  private readonly onStop = (signal: NodeJS.Signals) => void (this.stop ??= signal);
  private readonly onHup = () => void (this.reload = true);

  constructor() {
    process.on("SIGTERM", this.onStop);
    process.on("SIGINT", this.onStop);
    process.on("SIGHUP", this.onHup);
  }

  /** Called once the running handlers are installed: no instant without a listener. */
  detach(): void {
    process.off("SIGTERM", this.onStop);
    process.off("SIGINT", this.onStop);
    process.off("SIGHUP", this.onHup);
  }
}

export async function runDaemon(opts: RunOptions): Promise<number> {
  const env = opts.env ?? process.env;
  installFailStop(log); // an unhandled rejection: logged, then exit 70 and recovery (fail-stop.ts)
  const startSignals = new StartSignals();
  // Everything opened so far, closed in reverse if the start fails: a failed start leaves no
  // socket listening and no handle keeping the process alive.
  const opened: Array<() => Promise<void> | void> = [];
  let config: AgentConfig;
  let composed: ComposedStation;
  let notifier: Notifier;
  let paths: AgentPaths;
  let sockets: SocketServers | undefined;
  let metricsServer: MetricsServer | undefined;
  let customers: CustomerGenerator | undefined;
  let health: HealthMonitor | undefined;
  try {
    const loaded = await loadConfig(opts.configFile);
    config = loaded.config;
    configureLogging({ level: config.log.level });
    // Walking the config once teaches the logger its inline secrets: they are masked in any line.
    safeValue(config);
    for (const m of loaded.migrations) log.warn("config-migrated", { file: opts.configFile, migration: m });
    notifier = createNotifier({ env, logger: log.child("notify") });
    opened.push(() => notifier.close());
    paths = resolvePaths(config, env);
    const testHooks = env.GLASE_AGENT_TEST_HOOKS === "1" && !PRODUCTION;
    if (testHooks) log.warn("test-hooks-enabled", { reason: "GLASE_AGENT_TEST_HOOKS=1 in a development run" });

    log.info("starting", { config: opts.configFile, state: paths.stateDir, sockets: paths.socketsDir, pid: process.pid, notify: notifier.transport });
    composed = await composeStation({
      config,
      paths,
      logger: createLogger("agent"),
      version: agentVersion(),
      testHooks,
      eventLoopLagMs: () => health?.lastLagMs ?? 0,
    });
    const station = composed.station;
    opened.push(() => composed.close());
    opened.push(() => station.stopEngine(0));
    log.info("recovered", { resumed: composed.recovery.resumed, parked: composed.recovery.parked });

    sockets = await startSocketServers({ dir: paths.socketsDir, control: station, logger: log.child("sockets"), ...(config.sockets.statusGroup ? { statusGroup: config.sockets.statusGroup } : {}) });
    opened.push(() => sockets!.close());
    if (config.metrics) {
      // Optional: a taken port (any local user can squat it first) costs the scrapes, not the pumps.
      const m = config.metrics;
      metricsServer = await serveMetrics(composed.metrics.registry, m.host, m.port).catch((e: unknown) => {
        composed!.station.raiseStartAlarm({
          code: "metrics-unavailable",
          message: `${e instanceof Error ? e.message : String(e)}. The station runs without them: free the port (ss -ltnp 'sport = :${m.port}') or change metrics.port, then \`systemctl restart glase-agent\`.`,
        });
        return undefined;
      });
      if (metricsServer) {
        opened.push(() => metricsServer!.close());
        log.info("metrics-listening", { url: metricsServer.url });
      }
    }
  } catch (err) {
    startSignals.detach();
    const { code, fields } = startFailure(err);
    log.error("start-failed", fields);
    // Bounded: a part that does not close in time must not hold the exit.
    const closeAll = (async () => {
      for (const close of opened.reverse()) await Promise.resolve().then(close).catch(() => undefined);
    })();
    await Promise.race([closeAll, new Promise((r) => setTimeout(r, 5_000).unref())]);
    // Neither a config error nor an interrupted restore is mended by a restart: no Restart= loop.
    const status = code === "CONFIG_INVALID" || isRestoreInProgress(err) ? EXIT_CONFIG : 1;
    // Whatever still holds the event loop (a reconnecting driver, a timer), the process ends now.
    setTimeout(() => process.exit(status), 1_000).unref();
    return status;
  }
  const { station } = composed;

  const sim = config.simulation;
  const sites = [...composed.devices.controllers.customerSites.values()];
  if (sim?.customers.enabled && sites.length > 0) {
    customers = new CustomerGenerator({
      sites,
      grades: controllersOf(config).flatMap((c) => c.module.gradesOf(c.config)),
      config,
      settings: sim.customers,
      scheduler: composed.simClock,
      pointIdle: (point) => station.points().some((p) => p.point === point && p.state === "idle"),
      logger: createLogger("customers"),
    });
    customers.start();
  }

  const watchdogMs = watchdogIntervalMs(env);
  if (watchdogMs !== undefined) {
    health = startHealthMonitor({ notifier, intervalMs: watchdogMs, probe: () => composed.journal.tail(1), logger: log.child("health") });
  }
  const statusTimer = setInterval(() => void notifier.status(statusLine(station)), 5_000);
  statusTimer.unref();

  return new Promise<number>((resolveExit) => {
    let stopping = false;
    let reloading: Promise<void> = Promise.resolve();

    const shutdown = async (signal: string) => {
      if (stopping) {
        log.warn("second-signal-exit-now", { signal });
        process.exit(130);
      }
      stopping = true;
      station.phase = "draining";
      const bound = config.flows.drainTimeoutS * 1000;
      log.info("stopping", { signal, drainBoundMs: bound, endSessions: config.flows.drainEndsSessions, activeFlows: station.status().activeFlows });
      await notifier.stopping(`draining: ${station.status().activeFlows} flows running`);
      customers?.stopArrivals();
      const hardStop = setTimeout(() => {
        log.warn("drain-bound-expired-exit-now", { activeFlows: station.status().activeFlows });
        process.exit(0);
      }, bound + 10_000);
      hardStop.unref();
      await reloading.catch(() => undefined);
      await station.stopEngine(bound, { endSessions: config.flows.drainEndsSessions });
      station.phase = "stopping";
      customers?.stop();
      clearInterval(statusTimer);
      health?.stop();
      await sockets?.close();
      await metricsServer?.close();
      await composed.close();
      notifier.close();
      log.info("stopped", { signal });
      resolveExit(0);
    };

    const reload = async () => {
      await notifier.reloading();
      log.info("reloading", { config: opts.configFile });
      try {
        const next = (await loadConfig(opts.configFile)).config;
        configureLogging({ level: next.log.level });
        const needRestart = RESTART_SECTIONS.filter((k) => JSON.stringify(next[k]) !== JSON.stringify(config[k]));
        // The printer and the displays were set up with the station's language and zone at start.
        const localeChanged = next.station.locale !== config.station.locale || next.station.timeZone !== config.station.timeZone;
        if (needRestart.length > 0 || localeChanged) log.warn("reload-needs-restart", { sections: [...needRestart, ...(localeChanged ? ["station.locale/timeZone"] : [])].join(","), hint: "systemctl restart glase-agent" });
        // Sections that need a restart keep their running values; points/flows/station apply now.
        const applied: AgentConfig = { ...next, ...Object.fromEntries(RESTART_SECTIONS.map((k) => [k, config[k]])) };
        await station.restartEngine(applied, 30_000);
        config = applied;
        log.info("reloaded", {});
      } catch (err) {
        if (!isAgentError(err, "CONFIG_INVALID")) log.error("reload-failed", { err });
        else log.error("reload-refused", { problems: (err.context.problems as string[] | undefined)?.join("; ") ?? err.message });
        if (!station.hasEngine) {
          // The old engine is gone and the new one did not start: let systemd restart us cleanly.
          log.error("no-engine-after-reload-exit");
          process.exit(1);
        }
        station.phase = "running";
      }
      await notifier.ready(statusLine(station));
    };

    // A failure while shutting down still ends the process: the journal makes the next start safe.
    const stop = (signal: string) =>
      void shutdown(signal).catch((err: unknown) => {
        log.error("shutdown-failed", { signal, err });
        process.exit(1);
      });
    // The running handlers first, then READY: a signal sent the moment READY arrives (systemctl
    // stop right after the start) must find them, never Node's default (death by the signal).
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGHUP", () => {
      if (!stopping) reloading = reloading.then(reload);
    });
    startSignals.detach();
    if (startSignals.stop) {
      log.info("stop-requested-during-start", { signal: startSignals.stop });
      stop(startSignals.stop);
      return;
    }
    void notifier.ready(statusLine(station)).then(() => log.info("ready", { points: config.points.length, sockets: paths.socketsDir }));
    if (startSignals.reload) reloading = reloading.then(reload);
  });
}
