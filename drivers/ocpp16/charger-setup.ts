// What the agent sets on a charger when it connects (and again after it booted): the meter values
// the sessions rely on, the connection timeout, stop-on-invalid-id — a required key refused is a
// fault that says what the charger will do wrong — then, on a new connection, every mapped
// connector's status asked for. Apart from the driver (driver.ts), which decides when.
import type { Logger } from "../../base/log.ts";
import type { DispenserEvent } from "../../contracts/dispenser.ts";
import type { ChargerLink } from "./charger-link.ts";
import type { ChargerRuntime } from "./charger-state.ts";
import type { Ocpp16Config } from "./config.ts";
import { ENERGY_REGISTER, METER_KEYS, OFFLINE_AUTH_KEYS } from "./messages.ts";

export interface ChargerSetupDeps {
  readonly config: Ocpp16Config;
  readonly log: Logger;
  emit(e: DispenserEvent): void;
}

/** Sets what the agent needs on the charger; on a new connection also asks for every connector's status. */
export async function configureCharger(rt: ChargerRuntime, link: ChargerLink, askStatus: boolean, deps: ChargerSetupDeps): Promise<void> {
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
  try {
    for (const [key, value, consequence] of settings) {
      const { status } = await link.call("ChangeConfiguration", { key, value });
      if (status === "Accepted") continue;
      deps.log.warn("charger_configuration_refused", { chargePointId: rt.config.id, key, value, status });
      if (consequence !== undefined) {
        deps.emit({ type: "fault", point: null, code: "OCPP_CONFIG_REFUSED", message: `charger ${rt.config.id} answered ${status} to ChangeConfiguration ${key}=${value}: ${consequence}` });
      }
    }
    if (askStatus) {
      for (const k of rt.config.connectors) {
        const { status } = await link.call("TriggerMessage", { requestedMessage: "StatusNotification", connectorId: k.connectorId });
        if (status !== "Accepted") deps.log.warn("charger_trigger_refused", { chargePointId: rt.config.id, connectorId: k.connectorId, status });
      }
    }
  } catch (err) {
    deps.log.warn("charger_configuration_failed", { chargePointId: rt.config.id, err });
  }
  // No start the agent did not sell: a charger's own authorization of a card (review 12f #6). Best
  // effort, after what the sessions need and each key on its own: optional calls (charger-link.ts:
  // never in front of a stop, a short timeout), and a CALLERROR or silence on one of them neither
  // skips the connectors' status nor holds a RemoteStart/RemoteStop (review 12g #2). The real
  // protection is the Invalid the agent answers to any tag not its own.
  for (const key of OFFLINE_AUTH_KEYS) {
    try {
      const { status } = await link.call("ChangeConfiguration", { key, value: "false" }, { optional: true });
      if (status === "Accepted" || status === "NotSupported") continue; // NotSupported: the charger has no such feature
      deps.log.warn("charger_configuration_refused", { chargePointId: rt.config.id, key, value: "false", status });
      deps.emit({ type: "fault", point: null, code: "OCPP_CONFIG_REFUSED", message: `charger ${rt.config.id} answered ${status} to ChangeConfiguration ${key}=false: it may let a card charge without the agent (from its cache or while offline)` });
    } catch (err) {
      deps.log.warn("charger_configuration_failed", { chargePointId: rt.config.id, key, err });
    }
  }
}
