// Is the clock right? What `glase-agent doctor` can tell without root or systemd as PID 1:
//   - sanity: not before 2024 (a board without an RTC battery boots in 1970) and not behind the
//     journal's newest step (the clock was set back: receipts and deadlines would be wrong);
//   - synchronisation, from the first source that answers: systemd's `timedatectl`
//     (NTPSynchronized), the flag file systemd-timesyncd keeps (/run/systemd/timesync/
//     synchronized), chrony's `chronyc tracking`, and the kernel's adjtimex status through the
//     `adjtimex` tool (STA_UNSYNC clear = synchronised). None answering is "cannot tell".
// The probes are injected so each source can be tested with its real output.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";

export type Verdict = "ok" | "warn" | "fail";

export interface ClockFinding {
  readonly status: Verdict;
  readonly detail: string;
  readonly fix?: string;
}

export interface ClockProbes {
  /** Runs a program; resolves its stdout, or undefined when it cannot run or fails. */
  run(file: string, args: readonly string[]): Promise<string | undefined>;
  exists(path: string): boolean;
}

export const systemProbes: ClockProbes = {
  run: (file, args) =>
    new Promise((resolve) => {
      execFile(file, [...args], { timeout: 3_000, env: { ...process.env, LC_ALL: "C" } }, (err, stdout) => resolve(err ? undefined : String(stdout)));
    }),
  exists: (path) => existsSync(path),
};

/** A date a running station cannot be before (the agent did not exist). */
export const CLOCK_FLOOR = Date.UTC(2024, 0, 1);

export function clockSanity(now: number, lastJournalAt: number | undefined): ClockFinding {
  if (now < CLOCK_FLOOR) {
    return { status: "fail", detail: `the clock says ${new Date(now).toISOString()}`, fix: "set the time (NTP: timedatectl set-ntp true) and check the RTC battery; receipts and Glase deadlines depend on it" };
  }
  if (lastJournalAt !== undefined && lastJournalAt - now > 60_000) {
    return {
      status: "fail",
      detail: `the clock is ${Math.round((lastJournalAt - now) / 1000)} s behind the journal's newest step (${new Date(lastJournalAt).toISOString()}): it was set back`,
      fix: "correct the time (NTP), then restart the agent",
    };
  }
  return { status: "ok", detail: new Date(now).toISOString() };
}

const NTP_FIX = "enable time synchronisation: timedatectl set-ntp true (systemd-timesyncd) or install chrony; allow UDP 123 out (docs/install.md, Network)";

export async function ntpStatus(p: ClockProbes = systemProbes): Promise<ClockFinding> {
  const timedatectl = await p.run("timedatectl", ["show", "--property=NTPSynchronized", "--value"]);
  if (timedatectl !== undefined && /^(yes|no)$/.test(timedatectl.trim())) {
    return timedatectl.trim() === "yes"
      ? { status: "ok", detail: "synchronised (timedatectl: NTPSynchronized=yes)" }
      : { status: "warn", detail: "not synchronised (timedatectl: NTPSynchronized=no)", fix: NTP_FIX };
  }
  if (p.exists("/run/systemd/timesync/synchronized")) return { status: "ok", detail: "synchronised (systemd-timesyncd: /run/systemd/timesync/synchronized)" };
  const chrony = await p.run("chronyc", ["-n", "tracking"]);
  const leap = chrony !== undefined ? /^Leap status\s*:\s*(.+)$/m.exec(chrony)?.[1]?.trim() : undefined;
  if (leap !== undefined) {
    return leap === "Not synchronised" ? { status: "warn", detail: "not synchronised (chronyc tracking)", fix: NTP_FIX } : { status: "ok", detail: `synchronised (chronyc tracking: leap status ${leap})` };
  }
  const adjtimex = await p.run("adjtimex", ["--print"]);
  const status = adjtimex !== undefined ? /^\s*status:\s*(\d+)/m.exec(adjtimex)?.[1] : undefined;
  if (status !== undefined) {
    // STA_UNSYNC (0x40): the kernel's clock is not synchronised.
    return (Number(status) & 0x40) === 0
      ? { status: "ok", detail: `synchronised (adjtimex status ${status})` }
      : { status: "warn", detail: `not synchronised (adjtimex status ${status}: STA_UNSYNC)`, fix: NTP_FIX };
  }
  return { status: "warn", detail: "cannot tell whether the clock is synchronised (no timedatectl, timesyncd, chrony or adjtimex answered)", fix: NTP_FIX };
}

/** The server's clock against ours, from an HTTP Date header (1 s resolution). */
export function skewFinding(serverDate: string | null, before: number, after: number): ClockFinding | undefined {
  if (!serverDate) return undefined;
  const server = Date.parse(serverDate);
  if (Number.isNaN(server)) return undefined;
  const mid = (before + after) / 2;
  const skew = Math.round((mid - server) / 1000);
  const abs = Math.abs(skew);
  const detail = `${abs <= 1 ? "within 1 s of" : `${abs} s ${skew > 0 ? "ahead of" : "behind"}`} Glase's clock (HTTP Date)`;
  if (abs > 120) return { status: "fail", detail, fix: NTP_FIX };
  if (abs > 10) return { status: "warn", detail, fix: NTP_FIX };
  return { status: "ok", detail };
}
