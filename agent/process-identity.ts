// Who wrote a record, so another process can tell a run that is still going from one a crash or
// power cut ended: pid, the kernel's boot id, the boot's wall-clock time, and the process's start
// time (clock ticks since boot, /proc/<pid>/stat field 22) so a recycled pid is not taken for the
// writer. Linux only.
//
// The shipped unit has ProcSubset=pid and ProtectProc=invisible: /proc/sys (the boot id) cannot
// be read, and another user's /proc/<pid> is invisible (kill(pid, 0) gives EPERM). A record from an
// earlier boot whose pid now belongs to some root process then looked alive for ever (review 2
// #3). So every identity also carries `bootedAt`, the boot's wall-clock time from sysinfo(2)
// uptime (os.uptime(), no /proc/sys), and a process that cannot be looked at is alive only when
// the record proves it is of this boot (same boot id, or bootedAt within BOOT_CLOCK_SLACK_MS).
// A wall-clock step within one boot moves bootedAt (review 3 #5), so clock-free evidence comes
// first: `uptimeMs` (a record with more uptime than now is of an earlier boot) and, where
// /proc/<pid> is visible, matching start ticks; the wall clock is only the last resort.
// A record that proves nothing (older versions, no boot id readable) is not alive: its owner
// may take it aside — to orphans/, with its password (pending-registration.ts) — which beats a
// point that stays "in progress" for ever.
//
// Base layer: node:fs and node:os only.
import { readFileSync } from "node:fs";
import { uptime } from "node:os";

export interface ProcessIdentity {
  readonly pid: number;
  readonly boot?: string;
  readonly startTicks?: number;
  /** Wall-clock ms of the boot the process runs in (Date.now() − uptime when it was recorded). */
  readonly bootedAt?: number;
  /**
   * The boot's uptime (ms, sysinfo(2)/os.uptime()) when it was recorded, the process then alive.
   * Clock-free: a record whose uptimeMs exceeds the uptime now is certainly of an earlier boot,
   * whatever the wall clock did since (review 3 #5).
   */
  readonly uptimeMs?: number;
}

/**
 * How far two estimates of one boot's wall-clock time may differ: the two reads of clock and
 * uptime, and NTP slewing. A clock stepped by more within one boot makes that boot's records
 * look like an earlier boot's: their process, if invisible, is then taken for gone.
 */
export const BOOT_CLOCK_SLACK_MS = 120_000;

/** Slack for two reads of the uptime (rounding): uptime only grows within a boot. */
const UPTIME_SLACK_MS = 1_000;

/** The wall-clock time this boot began, by sysinfo(2)'s uptime (readable under ProcSubset=pid). */
export function bootedAt(now = Date.now()): number {
  return Math.round(now - uptime() * 1000);
}

function bootId(): string | undefined {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

function startTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[19]);
    return Number.isSafeInteger(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

let self: ProcessIdentity | undefined;

/** This process. */
export function currentProcess(): ProcessIdentity {
  if (!self || self.pid !== process.pid) {
    const boot = bootId();
    const ticks = startTicks(process.pid);
    self = { pid: process.pid, ...(boot ? { boot } : {}), ...(ticks !== undefined ? { startTicks: ticks } : {}), bootedAt: bootedAt(), uptimeMs: Math.floor(uptime() * 1000) };
  }
  return self;
}

/** True when `who` is this very process. */
export function isCurrentProcess(who: ProcessIdentity): boolean {
  const me = currentProcess();
  return who.pid === me.pid && (who.boot === undefined || who.boot === me.boot) && (who.startTicks === undefined || me.startTicks === undefined || who.startTicks === me.startTicks);
}

/**
 * Whether `who` was recorded in this boot: true, false, or undefined when the record cannot say.
 * Clock-free evidence first (boot id, then the uptime, which only grows within a boot); the
 * wall-clock estimate of the boot's start only as a last resort, since a clock step (a kiosk
 * without RTC at its first NTP sync, `date -s`) shifts it.
 */
function sameBoot(who: ProcessIdentity, me: ProcessIdentity): boolean | undefined {
  if (who.boot !== undefined && me.boot !== undefined) return who.boot === me.boot;
  if (who.uptimeMs !== undefined && who.uptimeMs > uptime() * 1000 + UPTIME_SLACK_MS) return false;
  if (who.bootedAt !== undefined) return Math.abs(who.bootedAt - bootedAt()) <= BOOT_CLOCK_SLACK_MS;
  return undefined;
}

/** True when the process `who` still runs (a different boot or a recycled pid is not it). */
export function isAlive(who: ProcessIdentity): boolean {
  const me = currentProcess();
  // Certainly another boot, without the wall clock: a different boot id, or more uptime then than now.
  if (who.boot !== undefined && me.boot !== undefined && who.boot !== me.boot) return false;
  if (who.uptimeMs !== undefined && who.uptimeMs > uptime() * 1000 + UPTIME_SLACK_MS) return false;
  try {
    process.kill(who.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const ticks = startTicks(who.pid);
  // Visible: the start ticks tell the writer from a recycled pid, whatever the wall clock did.
  if (ticks !== undefined && who.startTicks !== undefined) return ticks === who.startTicks;
  const boot = sameBoot(who, me);
  if (ticks !== undefined) return boot !== false;
  // The pid exists but its /proc entry is hidden (another user's, ProtectProc=invisible): alive
  // only if the record is provably of this boot.
  return boot === true;
}
