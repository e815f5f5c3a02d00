// The alerting hook from the config (`alerts:`): a webhook and/or a command told about every
// alarm raised or cleared (agent/alerts/). The bearer token is read from its 0600 file here and
// goes nowhere but the Authorization header: the logger masks it wherever it would appear.
import { hostname } from "node:os";
import { AlertDispatcher, type AlertTarget } from "../alerts/dispatcher.ts";
import { commandTarget } from "../alerts/command.ts";
import { describeUrl, webhookTarget } from "../alerts/webhook.ts";
import { systemScheduler } from "../../drivers/dispenser/line-driver.ts";
import type { AgentConfig } from "../config/schema.ts";
import { readSecretFile } from "../config/secrets.ts";
import type { Logger } from "../../base/log.ts";
import type { MetricsRegistry } from "./metrics.ts";

export interface AlertsOptions {
  readonly config: AgentConfig;
  readonly version: string;
  readonly logger: Logger;
  readonly metrics?: MetricsRegistry;
}

export async function startAlerts(o: AlertsOptions): Promise<AlertDispatcher | undefined> {
  const a = o.config.alerts;
  if (!a) return undefined;
  const targets: AlertTarget[] = [];
  if (a.webhook) {
    const token = a.webhook.bearerTokenFile ? await readSecretFile(a.webhook.bearerTokenFile, "alerts.webhook.bearerTokenFile", { followSymlinks: true }) : undefined;
    targets.push(webhookTarget({ url: a.webhook.url, ...(token ? { token } : {}), timeoutMs: a.webhook.timeoutMs, userAgent: `glase-agent/${o.version}` }));
  }
  if (a.command) targets.push(commandTarget({ argv: a.command.argv, timeoutMs: a.command.timeoutMs }));
  const outcomes = o.metrics?.counter("glase_agent_alerts_total", "Alerts of the alerting hook by target and outcome (delivered, retried, dropped from a full queue, failed for good)");
  const dispatcher = new AlertDispatcher({
    station: o.config.station.name,
    version: o.version,
    host: hostname(),
    targets,
    scheduler: systemScheduler,
    logger: o.logger,
    queueSize: a.queueSize,
    retryBaseMs: a.retryBaseMs,
    retryMaxMs: a.retryMaxMs,
    ...(outcomes ? { observe: (target: string, outcome: string) => outcomes.inc({ target, outcome }) } : {}),
  });
  o.metrics?.gauge("glase_agent_alert_queue_length", "Alerts waiting for delivery, per target", () => dispatcher.stats().targets.map((t) => [{ target: t.target }, t.queued] as const));
  o.logger.info("alerts-configured", {
    ...(a.webhook ? { webhook: describeUrl(a.webhook.url), bearerTokenFile: a.webhook.bearerTokenFile ?? "none" } : {}),
    ...(a.command ? { command: a.command.argv[0] } : {}),
    queueSize: a.queueSize,
  });
  return dispatcher;
}
