// The flood limit of one charger id: a token bucket (maxCallsPerSecond, a burst of four seconds'
// worth) that lives as long as the central system — not per connection, so reconnecting does not
// refill it — and, after a flood close, a lock during which that id's connections are refused
// (429) before any frame is read: 2 s, doubling with every flood close in a row, up to a minute;
// forgotten once the charger has behaved for a minute. What costs a token is decided by the link
// (charger-link.ts): only what a charger waiting for each answer never sends.
import type { Scheduler } from "../../base/clock.ts";

const LOCK_FIRST_MS = 2_000;
const LOCK_MAX_MS = 60_000;
const FORGIVE_MS = 60_000;

export class FloodBucket {
  private tokens: number;
  private refilledAt: number;
  private floods = 0;
  private lockedUntil = 0;
  private lastFloodAt = -Infinity;

  constructor(
    private readonly perSecond: number,
    private readonly scheduler: Pick<Scheduler, "now">,
  ) {
    this.tokens = this.burst;
    this.refilledAt = scheduler.now();
  }

  get burst(): number {
    return Math.max(4, Math.ceil(this.perSecond * 4));
  }

  /** Takes one token; false: none left (a flood). */
  take(): boolean {
    const now = this.scheduler.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.perSecond);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** The link was closed for a flood: lock the id out for a while. True: the first of a series (not forgiven since). */
  flooded(): boolean {
    const now = this.scheduler.now();
    if (now - this.lastFloodAt > FORGIVE_MS + LOCK_MAX_MS) this.floods = 0;
    this.floods++;
    this.lastFloodAt = now;
    this.lockedUntil = now + Math.min(LOCK_MAX_MS, LOCK_FIRST_MS * 2 ** (this.floods - 1));
    return this.floods === 1;
  }

  /** How long connections of this id are still refused (ms; 0: not locked). */
  lockedForMs(): number {
    return Math.max(0, this.lockedUntil - this.scheduler.now());
  }
}
