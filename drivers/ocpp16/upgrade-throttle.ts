// Failed WebSocket upgrades — an unknown charge point id, a wrong or missing password — and who
// is throttled for them. A stranger must not learn which ids the station has, nor guess them or
// a password without limit (review 12m #2): every such failure counts toward its source address,
// and after FREE_FAILURES in a row that source is refused for a time that doubles with every
// further failure, up to a minute — whatever id it tries, answered exactly like a wrong password
// (401, nothing checked), so the lock itself tells nothing. Two exceptions keep the real chargers
// in: a charger id that already connected from that address is not held by its address's lock
// (chargers behind one NAT address with a misconfigured neighbour), and the lock is per address,
// so a charger from its own address is not held by a guesser's. Password guesses at one id are
// also counted per id and address, and that lock holds even an id that connected from there
// before: no unlimited guessing at a charger from its own address.
// The pairs that connected are kept in the driver store (`meta/knownSources`, review 13b R13b-5):
// forgotten at a restart, the real chargers' reconnects behind a shared address (a 4G router, a
// VPN concentrator, a container's bridge gateway) were held by a neighbour's lock — 401 while their
// queued StopTransactions waited.
import type { Scheduler } from "../../base/clock.ts";
import type { Logger } from "../../base/log.ts";
import type { DriverStore } from "../../contracts/driver-store.ts";

const KNOWN_KEY = "meta/knownSources";
/** Addresses kept per charger id (the last used): a charger on DHCP moves, its old addresses age out. */
const KNOWN_PER_CHARGER = 8;

/** Failures in a row from one source before it is locked out; the first lock, and the longest. */
const FREE_FAILURES = 5;
const LOCK_FIRST_MS = 1000;
const LOCK_MAX_MS = 60_000;
/** A source (or id × source) with no failure for this long after its lock starts over. */
const FORGIVE_MS = 600_000;
/** A bound on each map's memory, not a reset an attacker gains much from. */
const MAX_ENTRIES = 10_000;

interface Failures {
  count: number;
  lockedUntil: number;
  /** Attempts refused unchecked since the last log line about this source. */
  refused: number;
}

export class UpgradeThrottle {
  private readonly bySource = new Map<string, Failures>();
  private readonly byChargerSource = new Map<string, Failures>();
  /** Configured charger id × address pairs that connected: not held by that address's lock. */
  private readonly known = new Set<string>();

  constructor(
    private readonly scheduler: Pick<Scheduler, "now">,
    private readonly log: Logger,
    private readonly store?: DriverStore,
  ) {}

  /** The pairs that connected before this process (before the first upgrade is judged). */
  async load(): Promise<void> {
    const v = await this.store?.get(KNOWN_KEY);
    if (v === undefined) return;
    if (!Array.isArray(v) || !v.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === "string" && typeof p[1] === "string")) {
      this.log.warn("ocpp_known_sources_unreadable", { key: KNOWN_KEY, next: "starts empty: chargers behind a locked shared address are held until they connect once" });
      return;
    }
    for (const [id, from] of v as Array<[string, string]>) this.known.add(pairKey(id, from));
  }

  /**
   * How long an upgrade from `from` for `chargerId` (a configured id, or undefined) is still
   * refused unchecked (ms; 0: check it). A refusal here is counted, and told with the next line.
   */
  lockedForMs(chargerId: string | undefined, from: string): number {
    const now = this.scheduler.now();
    const pair = chargerId !== undefined ? this.byChargerSource.get(pairKey(chargerId, from)) : undefined;
    const source = chargerId !== undefined && this.known.has(pairKey(chargerId, from)) ? undefined : this.bySource.get(from);
    const ms = Math.max(0, (pair?.lockedUntil ?? 0) - now, (source?.lockedUntil ?? 0) - now);
    const counted = this.bySource.get(from);
    if (ms > 0 && counted) counted.refused++;
    return ms;
  }

  /** An upgrade from `from` failed: an unknown id (chargerId undefined) or a wrong password for a configured one. */
  failed(chargerId: string | undefined, from: string): void {
    const source = this.count(this.bySource, from);
    if (source.count >= FREE_FAILURES) {
      this.log.error("ocpp_source_throttled", { from, failures: source.count, lockedForMs: source.lockedUntil - this.scheduler.now(), refusedWhileLocked: source.refused, note: "unknown charge point ids or wrong passwords from this address: someone may be guessing; refused (401) while locked" });
      source.refused = 0;
    }
    if (chargerId === undefined) return;
    const pair = this.count(this.byChargerSource, pairKey(chargerId, from));
    if (pair.count === FREE_FAILURES) this.log.error("charger_auth_throttled", { chargePointId: chargerId, from, failures: pair.count, note: "someone may be guessing this charger's password" });
  }

  /** A configured charger connected from `from`: its failures are forgotten, its address's lock no longer holds it. */
  succeeded(chargerId: string, from: string): void {
    const key = pairKey(chargerId, from);
    this.byChargerSource.delete(key);
    // Insertion order is last use (review 13c C5: kept in first-connection order, the address in
    // use was trimmed by the next new one): a known pair moves to the end, written when it moved.
    const mine = [...this.known].filter((k) => k.startsWith(pairKey(chargerId, "")));
    if (mine.at(-1) === key) return;
    if (!this.known.delete(key) && this.known.size >= MAX_ENTRIES) this.known.clear();
    this.known.add(key);
    this.persist(chargerId);
  }

  /** Writes the known pairs, the KNOWN_PER_CHARGER addresses of each id used last (not money: a failure is logged). */
  private persist(newest: string): void {
    if (!this.store) return;
    const pairs = [...this.known].map((k) => k.split("\u0000") as [string, string]);
    const kept: Array<[string, string]> = [];
    for (const id of new Set(pairs.map(([i]) => i))) {
      const mine = pairs.filter(([i]) => i === id);
      kept.push(...mine.slice(-KNOWN_PER_CHARGER));
      if (id === newest) for (const [i, from] of mine.slice(0, -KNOWN_PER_CHARGER)) this.known.delete(pairKey(i, from));
    }
    this.store.put(KNOWN_KEY, kept).catch((err: unknown) => this.log.warn("ocpp_known_sources_write_failed", { err }));
  }

  private count(map: Map<string, Failures>, key: string): Failures {
    const now = this.scheduler.now();
    const kept = map.get(key);
    const prev = kept && now - kept.lockedUntil < FORGIVE_MS ? kept : undefined;
    const count = (prev?.count ?? 0) + 1;
    const lockMs = count >= FREE_FAILURES ? Math.min(LOCK_MAX_MS, LOCK_FIRST_MS * 2 ** (count - FREE_FAILURES)) : 0;
    if (!kept && map.size >= MAX_ENTRIES) map.clear();
    const f = { count, lockedUntil: now + lockMs, refused: prev?.refused ?? 0 };
    map.set(key, f);
    return f;
  }
}

function pairKey(chargerId: string, from: string): string {
  return `${chargerId}\u0000${from}`;
}
