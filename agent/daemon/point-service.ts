// Why a point serves no customers now, in the words `ctl points` shows — the first cause that
// applies, each saying what fixes it:
//   stopped                   a technician's stop-point (who, when) → ctl resume-point
//   unregistered              no terminal yet → glase-agent register
//   credentials-unusable, registration-unconfirmed, registration-in-progress,
//   unregistration-unconfirmed  the point's start alarm (its message says what to do)
//   device-fault              the dispenser/charger/vending controller is not reachable or failed to start
//   glase-offline             Glase did not answer: new customers are refused for a while
//   parked                    a flow on this point needs a technician → ctl resolve
// Pure: from the snapshot, the station's records and the device board.
import type { AlarmInfo, PointSnapshot } from "../engine-api.ts";
import type { DeviceHealth, OutOfService } from "./sockets/control.ts";

export interface PointFacts {
  readonly snapshot: PointSnapshot;
  /** The engine runs this point (false: it was left out at start, see the start alarms). */
  readonly inEngine: boolean;
  readonly engineRunning: boolean;
  readonly stopped?: { readonly at: number; readonly by?: string };
  /** The station's own alarms for this point (credentials, registration, unregistration). */
  readonly startAlarms: readonly AlarmInfo[];
  readonly devices: readonly DeviceHealth[];
}

export function outOfServiceOf(f: PointFacts): OutOfService | undefined {
  const p = f.snapshot;
  const point = p.point;
  if (f.stopped && p.state === "stopped") {
    return {
      cause: "stopped",
      detail: `stopped by ${f.stopped.by ?? "a technician"}; \`glase-agent ctl resume-point --point ${point}\` puts it back into service`,
      since: f.stopped.at,
      ...(f.stopped.by ? { by: f.stopped.by } : {}),
    };
  }
  // Every start alarm of a point keeps it out of the engine (credentials, registration state).
  const start = f.startAlarms.find((a) => a.point === point && !a.code.startsWith("device-"));
  if (start) return { cause: start.code, detail: start.message, since: start.at };
  if (!f.engineRunning) return { cause: "starting", detail: "the agent is not running payments yet (starting, reloading or stopping)" };
  if (!f.inEngine || p.terminalId === "") {
    return { cause: "unregistered", detail: `no Glase terminal: \`glase-agent register --point ${point}\` (docs/technician.md, Terminals)` };
  }
  if (p.state === "parked") {
    return { cause: "parked", detail: `flow ${p.flowId ?? "?"} needs a technician: \`glase-agent ctl alarms\`, then \`glase-agent ctl resolve ${p.flowId ?? "FLOW"} retry|mark-settled|cancel\`` };
  }
  // The controller that drives this point (a station may run several).
  // A kiosk point only by the controller that names it (a vending machine's MDB adapter): a kiosk
  // app's API listens and has no link of its own to lose.
  const dispenser = f.devices.find((d) => d.device === "dispenser" && (d.points === undefined ? p.kind !== "kiosk" : d.points.includes(point)));
  if (dispenser && dispenser.state !== "ok" && (p.state === "idle" || p.state === "offline")) {
    return {
      cause: "device-fault",
      detail: `the ${p.kind === "ev" ? "charger" : p.kind === "kiosk" ? "kiosk/vending" : "dispenser"} controller ${dispenser.controller ? `${dispenser.controller} ` : ""}(${dispenser.kind}) is ${dispenser.state}${dispenser.detail ? `: ${dispenser.detail}` : ""}; check its cable/power/network — the agent reconnects by itself`,
      since: dispenser.since,
    };
  }
  if (p.state === "offline") {
    return { cause: "glase-offline", detail: "Glase did not answer; new customers are refused until it does (network, firewall: docs/install.md, Network)" };
  }
  if (p.state === "stopped") return { cause: "stopped", detail: `stopped; \`glase-agent ctl resume-point --point ${point}\` puts it back into service` };
  return undefined;
}
