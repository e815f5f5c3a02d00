// What the agent sets on a charger when it connects (and again after it booted, ChargerSetups): the meter values
// the sessions rely on, the connection timeout, stop-on-invalid-id — a required key refused is a
// fault that says what the charger will do wrong — then, on a new connection, every mapped
// connector's status asked for. Apart from the driver (driver.ts), which decides when.
import { AgentError } from "../../base/errors.ts";
import type { Logger } from "../../base/log.ts";
import type { DispenserEvent } from "../../contracts/dispenser.ts";
import type { ChargerLink } from "./charger-link.ts";
import type { ChargerRuntime } from "./charger-state.ts";
import type { Ocpp16Config } from "./config.ts";
import { ENERGY_REGISTER, METER_KEYS, OFFLINE_AUTH_KEYS, STOP_TXN_DATA_KEYS } from "./messages.ts";

export interface ChargerSetupDeps {
  readonly config: Ocpp16Config;
  readonly log: Logger;
  emit(e: DispenserEvent): void;
}

/**
 * The setup of one connection, run once for a BootNotification that comes while it runs (most
 * chargers boot at every connect: the setup ran twice, review 12m) — unless a required key was
 * not accepted then (a charger may refuse settings before its boot is answered): then it runs
 * again after. A boot on a connection whose setup is over runs it again (its settings may be lost).
 */
export class ChargerSetups {
  private readonly running = new WeakMap<ChargerLink, { booted: boolean }>();

  constructor(private readonly deps: () => ChargerSetupDeps) {}

  /** A new connection: the settings, then every connector's status. */
  connected(rt: ChargerRuntime, link: ChargerLink): void {
    this.run(rt, link, true);
  }

  /** The charger booted (after its BootNotification is answered). */
  booted(rt: ChargerRuntime, link: ChargerLink): void {
    const current = this.running.get(link);
    if (current) current.booted = true;
    else this.run(rt, link, false);
  }

  private run(rt: ChargerRuntime, link: ChargerLink, askStatus: boolean): void {
    const state = { booted: false };
    this.running.set(link, state);
    const deps = this.deps();
    void configureCharger(rt, link, askStatus, deps)
      .catch((err: unknown) => (deps.log.error("charger_setup_failed", { chargePointId: rt.config.id, err }), false))
      .then((allSet) => {
        this.running.delete(link);
        if (state.booted && !allSet && link.open) this.run(rt, link, false);
      });
  }
}

/**
 * Sets what the agent needs on the charger; on a new connection also asks for every connector's
 * status. True: every required key was accepted.
 */
export async function configureCharger(rt: ChargerRuntime, link: ChargerLink, askStatus: boolean, deps: ChargerSetupDeps): Promise<boolean> {
  let allSet = true;
  // A required key refused is an alarm that says what the charger will do wrong without it.
  const noProgress = "its sessions report no progress and stop on the stall rule";
  const settings: Array<[string, string, string | undefined]> = [
    [METER_KEYS.measurands, ENERGY_REGISTER, noProgress],
    [METER_KEYS.interval, String(deps.config.meterSampleIntervalS), noProgress],
    // A customer confirming the payment must not find the charger back at Available (cable in).
    [METER_KEYS.connectionTimeOut, String(deps.config.connectionTimeOutS), undefined],
    // A transaction the agent refuses (a StartTransaction for a sale already ended, a card) must
    // end at the charger; the agent also sends RemoteStop, this makes the charger itself stop.
    [METER_KEYS.stopOnInvalidId, "true", "a transaction the agent refuses (Invalid) may keep charging until the agent's RemoteStopTransaction is obeyed"],
  ];
  // Each key on its own (review 12 #8): a CALLERROR to one required key is that key refused, and
  // neither it nor a charger's silence skips the connectors' status below — a cable already in
  // after an agent restart is only seen through it. After a silence the remaining keys wait for the
  // next connection: each would hold the link a whole call timeout before the status is asked.
  let silentOn: string | undefined;
  const unset: string[] = [];
  for (const [key, value, consequence] of settings) {
    if (silentOn !== undefined) {
      if (consequence !== undefined) unset.push(`${key}=${value}`);
      continue;
    }
    let answer: string;
    try {
      answer = (await link.call("ChangeConfiguration", { key, value })).status;
    } catch (err) {
      const code = err instanceof AgentError ? err.code : undefined;
      deps.log.warn("charger_configuration_failed", { chargePointId: rt.config.id, key, err });
      if (code === "DEVICE_DISCONNECTED") return false; // gone: everything is set again at the next connection
      if (code === "DEVICE_TIMEOUT") silentOn = key;
      if (consequence !== undefined) allSet = false;
      const what = code === "DEVICE_PROTOCOL" ? `answered a CALLERROR (${String((err as AgentError).context.rpcErrorCode ?? "?")}) to` : "did not answer";
      if (consequence !== undefined) {
        deps.emit({ type: "fault", point: null, code: "OCPP_CONFIG_REFUSED", message: `charger ${rt.config.id} ${what} ChangeConfiguration ${key}=${value}: ${consequence}` });
      }
      continue;
    }
    if (answer === "Accepted") continue;
    if (consequence !== undefined) allSet = false;
    deps.log.warn("charger_configuration_refused", { chargePointId: rt.config.id, key, value, status: answer });
    if (consequence !== undefined) {
      deps.emit({ type: "fault", point: null, code: "OCPP_CONFIG_REFUSED", message: `charger ${rt.config.id} answered ${answer} to ChangeConfiguration ${key}=${value}: ${consequence}` });
    }
  }
  if (unset.length > 0) {
    allSet = false;
    deps.emit({ type: "fault", point: null, code: "OCPP_CONFIG_REFUSED", message: `charger ${rt.config.id} did not answer ChangeConfiguration ${silentOn}; not set until it reconnects: ${unset.join(", ")}` });
  }
  if (askStatus) {
    for (const k of rt.config.connectors) {
      try {
        const { status } = await link.call("TriggerMessage", { requestedMessage: "StatusNotification", connectorId: k.connectorId });
        if (status !== "Accepted") deps.log.warn("charger_trigger_refused", { chargePointId: rt.config.id, connectorId: k.connectorId, status });
      } catch (err) {
        deps.log.warn("charger_trigger_failed", { chargePointId: rt.config.id, connectorId: k.connectorId, err });
        if (err instanceof AgentError && err.code === "DEVICE_DISCONNECTED") return allSet;
      }
    }
  }
  // No start the agent did not sell: a charger's own authorization of a card (review 12f #6). Best
  // effort, after what the sessions need and each key on its own: optional calls (setOptional),
  // and a CALLERROR or silence on one of them neither skips the connectors' status nor holds a
  // RemoteStart/RemoteStop (review 12g #2). The real protection is the Invalid the agent answers
  // to any tag not its own.
  for (const key of OFFLINE_AUTH_KEYS) {
    const status = await setOptional(rt, link, key, "false", deps);
    if (!link.open) return allSet; // gone: everything is set again at the next connection
    if (status === undefined || status === "Accepted" || status === "NotSupported") continue; // NotSupported: the charger has no such feature
    deps.log.warn("charger_configuration_refused", { chargePointId: rt.config.id, key, value: "false", status });
    deps.emit({ type: "fault", point: null, code: "OCPP_CONFIG_REFUSED", message: `charger ${rt.config.id} answered ${status} to ChangeConfiguration ${key}=false: it may let a card charge without the agent (from its cache or while offline)` });
  }
  // No meter values copied into the StopTransaction (review 12m #1): the agent reads none of
  // them, and a long session's worth could outgrow maxFrameBytes — a close at every reconnect,
  // the meterStop never delivered. Empty, else the register only (a charger may want a
  // measurand); a refusal of both is logged, no alarm: the frame limit is sized for it, and a
  // frame above it is an alarm of its own (OCPP_FRAME_TOO_LARGE).
  for (const key of STOP_TXN_DATA_KEYS) {
    for (const value of ["", ENERGY_REGISTER]) {
      const status = await setOptional(rt, link, key, value, deps);
      if (!link.open) return allSet;
      if (status === undefined || status === "Accepted" || status === "RebootRequired" || status === "NotSupported") break;
      deps.log.warn("charger_configuration_refused", { chargePointId: rt.config.id, key, value, status, note: "optional: the StopTransaction may carry the charger's own transactionData" });
    }
  }
  return allSet;
}

/**
 * One optional key (charger-link.ts: never in front of a stop, a short timeout): its answer, or
 * undefined when it got none (logged). A key skipped for a stop is sent again once the stops
 * are out of the way (review 12k #4): a charger reconnecting while a session stops gets the stop
 * re-sent just when the setup reaches these keys, and would otherwise keep its own setting for
 * that whole connection. A few tries: a stop re-sent over and over does not hold the setup.
 */
async function setOptional(rt: ChargerRuntime, link: ChargerLink, key: string, value: string, deps: ChargerSetupDeps): Promise<string | undefined> {
  for (let tries = 1; ; tries++) {
    try {
      return (await link.call("ChangeConfiguration", { key, value }, { optional: true })).status;
    } catch (err) {
      const forStop = err instanceof AgentError && err.context.forStop === true;
      deps.log.warn("charger_configuration_failed", { chargePointId: rt.config.id, key, value, err, ...(forStop ? { retry: tries < OPTIONAL_TRIES } : {}) });
      if (!forStop || tries >= OPTIONAL_TRIES || !link.open) return undefined;
      await link.afterStops();
    }
  }
}

/** How often an optional key skipped for a stop is tried on one setup. */
const OPTIONAL_TRIES = 5;
