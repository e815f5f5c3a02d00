// The daemon's policy for a promise rejection nobody handles: fail-stop. Such a rejection is a
// step whose failure no code decided about, so what it left in memory may no longer be what the
// journal holds (a driver indexes a sale before its write, a flow steps before its record). Going
// on would act — settle, refund, release — on state the disk does not have; a restart rebuilds
// every flow from the journal, the recovery every crash and SIGKILL test already exercises, and
// systemd (Restart=on-failure) restarts the agent within seconds. So the reason is logged through
// the agent's logger (structured, secrets redacted — unlike Node's own dump to stderr) and the
// process exits EXIT_SOFTWARE at once, without the ordered drain that would run more code on that
// state. Failures the code does expect (a driver's timer step, a device call) are handled where
// they happen — logged and alarmed — and never reach this.
import type { Logger } from "../../base/log.ts";

/** sysexits EX_SOFTWARE: an internal error; not in RestartPreventExitStatus, so systemd restarts. */
export const EXIT_SOFTWARE = 70;

export function failStopHandler(log: Logger, exit: (code: number) => void): (reason: unknown) => void {
  return (reason) => {
    log.error("unhandled_rejection", { err: reason, note: "a failure no code handled: exiting so the agent restarts and recovers every flow from the journal" });
    exit(EXIT_SOFTWARE);
  };
}

/** Installs the policy for this process (once, first thing the daemon does). */
export function installFailStop(log: Logger): void {
  process.on("unhandledRejection", failStopHandler(log, (code) => process.exit(code)));
}
