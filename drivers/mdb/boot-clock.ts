// A clock that holds across a restart of the agent but not across a reboot: the kernel's boot id
// and its uptime. The wall clock of a board without an RTC can come back behind after a power cut
// (fake-hwclock, NTP not yet synced), so a deadline journaled in wall time by a previous process
// cannot be believed; the same boot's uptime can (a `systemctl restart`), and another boot means
// the vending machine's own wait is long over.
import { readFileSync } from "node:fs";
import { uptime } from "node:os";

export interface BootInstant {
  readonly bootId: string;
  /** Milliseconds since that boot. */
  readonly uptimeMs: number;
}

let cachedBootId: string | undefined;

function bootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    } catch {
      cachedBootId = ""; // unknown: nothing journaled before this process is believed
    }
  }
  return cachedBootId;
}

export function bootInstant(): BootInstant {
  return { bootId: bootId(), uptimeMs: Math.round(uptime() * 1000) };
}

/** Milliseconds since `then` on this boot's clock, or undefined when `then` was another boot (or unknown). */
export function sinceOnThisBoot(then: BootInstant | undefined): number | undefined {
  const now = bootInstant();
  if (!then || !now.bootId || then.bootId !== now.bootId) return undefined;
  return now.uptimeMs - then.uptimeMs;
}
