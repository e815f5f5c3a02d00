// Who wrote a record, so another process can tell a run that is still going from one a crash or
// power cut ended: pid, the kernel's boot id, and the process's start time (clock ticks since
// boot, /proc/<pid>/stat field 22) so a recycled pid is not taken for the writer. Linux only;
// where /proc cannot say (another user's process under ProtectProc=invisible), kill(pid, 0)
// decides and EPERM counts as alive — refusing to touch a live run's record is the safe side.
//
// Base layer: node:fs only.
import { readFileSync } from "node:fs";

export interface ProcessIdentity {
  readonly pid: number;
  readonly boot?: string;
  readonly startTicks?: number;
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
    self = { pid: process.pid, ...(boot ? { boot } : {}), ...(ticks !== undefined ? { startTicks: ticks } : {}) };
  }
  return self;
}

/** True when `who` is this very process. */
export function isCurrentProcess(who: ProcessIdentity): boolean {
  const me = currentProcess();
  return who.pid === me.pid && (who.boot === undefined || who.boot === me.boot) && (who.startTicks === undefined || me.startTicks === undefined || who.startTicks === me.startTicks);
}

/** True when the process `who` still runs (a different boot or a recycled pid is not it). */
export function isAlive(who: ProcessIdentity): boolean {
  const me = currentProcess();
  if (who.boot !== undefined && me.boot !== undefined && who.boot !== me.boot) return false;
  try {
    process.kill(who.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const ticks = startTicks(who.pid);
  return who.startTicks === undefined || ticks === undefined || ticks === who.startTicks;
}
