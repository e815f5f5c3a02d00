// The station's one alarm book: every alarm — the engine's (flows), the station's own (points and
// devices that cannot start, shop credentials) and the Invoice Service's — as one open entry per
// condition (code + point + flow), with its first and last time, how often it was raised, the
// action that resolves it (docs/alarms.md), and who acknowledged it.
//
// How an alarm clears:
// - a condition the station re-checks (a point's credentials, a device, the shop password) clears
//   when the check no longer raises it (`sync`);
// - an alarm of a parked flow clears when the flow is resolved (no longer parked, or finished);
// - anything else is an event a technician must see: `ack` clears it. Acknowledging one of the
//   others only marks it seen (it stays open until its cause is gone).
// A money alarm the journal keeps (agent/flows/kept-alarms.ts) is different (review 8 #2, #4, #5):
// each one it keeps is its own entry (one flow may tell several payments: each has its own ack),
// it clears by an ack only (never by its flow being resolved), and a full book never evicts it nor
// counts it against its bound (MAX_OPEN bounds the others).
// Every change is told to the listeners (the watch stream, the alerting hook): raised (first time
// or again after it cleared), repeated, acknowledged, cleared.
import type { AlarmInfo } from "../engine-api.ts";
import { AgentError } from "../../base/errors.ts";
import { alarmAction } from "./catalogue.ts";
import { KEPT_ALARM_CODES } from "../flows/kept-alarms.ts";

export type AlarmOrigin = "engine" | "station" | "invoice-service";

export interface BookAlarm extends AlarmInfo {
  readonly origin: AlarmOrigin;
  readonly firstAt: number;
  readonly lastAt: number;
  readonly count: number;
  /** What resolves it (from the catalogue, docs/alarms.md). */
  readonly action: string;
  /** How it clears: by its cause going away, or by a technician's ack. */
  readonly clears: "condition" | "ack";
  readonly acknowledged?: { readonly at: number; readonly by?: string };
}

export type AlarmChangeKind = "raised" | "repeated" | "acknowledged" | "cleared";

export interface AlarmChange {
  readonly kind: AlarmChangeKind;
  readonly alarm: BookAlarm;
  readonly at: number;
}

export interface RaiseAlarm {
  readonly origin: AlarmOrigin;
  readonly code: string;
  readonly message: string;
  readonly point?: number;
  readonly flowId?: string;
  readonly at?: number;
}

const MAX_OPEN = 500;

/** A money alarm the journal keeps until acknowledged (only the engine's: its flows raise them). */
export function isKeptAlarm(a: { readonly origin: AlarmOrigin; readonly code: string }): boolean {
  return a.origin === "engine" && KEPT_ALARM_CODES.has(a.code);
}

/**
 * One entry per condition: origin, code, point, flow — and, for a kept money alarm, its text: the
 * journal keeps one row per told payment (its text names it), and each needs its own ack.
 */
const keyOf = (a: { origin: AlarmOrigin; code: string; point?: number; flowId?: string; message?: string }) =>
  `${a.origin}|${a.code}|${a.point ?? ""}|${a.flowId ?? ""}${isKeptAlarm(a) ? `|${a.message ?? ""}` : ""}`;

export class AlarmBook {
  private readonly open = new Map<string, BookAlarm>();
  private readonly listeners = new Set<(c: AlarmChange) => void>();
  /** Flows seen parked: their alarms clear when they are resolved. */
  private readonly parkedFlows = new Set<string>();
  private seq = 0;

  constructor(private readonly now: () => number = Date.now) {}

  list(): readonly BookAlarm[] {
    return [...this.open.values()];
  }

  subscribe(listener: (c: AlarmChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  raise(r: RaiseAlarm): BookAlarm {
    const at = r.at ?? this.now();
    const key = keyOf(r);
    const known = this.open.get(key);
    const clears = !isKeptAlarm(r) && (r.origin === "station" || (r.flowId !== undefined && this.parkedFlows.has(r.flowId))) ? "condition" : "ack";
    if (known) {
      const again: BookAlarm = { ...known, message: r.message, at, lastAt: at, count: known.count + 1, clears: known.clears === "condition" ? "condition" : clears };
      this.open.set(key, again);
      this.tell("repeated", again, at);
      return again;
    }
    const alarm: BookAlarm = {
      id: `AL${++this.seq}`,
      at,
      ...(r.point !== undefined ? { point: r.point } : {}),
      ...(r.flowId !== undefined ? { flowId: r.flowId } : {}),
      code: r.code,
      message: r.message,
      origin: r.origin,
      firstAt: at,
      lastAt: at,
      count: 1,
      action: alarmAction(r.code),
      clears,
    };
    this.open.set(key, alarm);
    // Told before any eviction: a listener never sees an entry cleared before it was raised.
    this.tell("raised", alarm, at);
    this.evict(key, at);
    return alarm;
  }

  /**
   * The bound counts only the entries that may be evicted (review 9 final #1): kept money alarms are
   * bounded by the journal (one per told payment, until acked), so however many are open they never
   * take the others' room. Over it, the oldest event alarm goes (it is in the log), else the oldest
   * condition — never a kept one, never the entry just raised.
   */
  private evict(raised: string, at: number): void {
    if (this.open.size <= MAX_OPEN) return;
    const evictable = [...this.open].filter(([key, a]) => key !== raised && !isKeptAlarm(a));
    if (evictable.length < MAX_OPEN) return;
    const oldest = evictable.find(([, a]) => a.clears === "ack") ?? evictable[0];
    if (oldest) this.clearKey(oldest[0], at);
  }

  /** `ctl ack ID`: an event alarm clears; a condition alarm is marked seen and stays open. */
  ack(id: string, by?: string): BookAlarm {
    const entry = [...this.open.entries()].find(([, a]) => a.id === id);
    if (!entry) throw new AgentError("NOT_FOUND", `no open alarm ${id} (ctl alarms lists them)`, { id });
    const at = this.now();
    const [key, alarm] = entry;
    const seen: BookAlarm = { ...alarm, acknowledged: { at, ...(by !== undefined ? { by } : {}) } };
    this.open.set(key, seen);
    this.tell("acknowledged", seen, at);
    if (seen.clears === "ack") this.clearKey(key, at);
    return seen;
  }

  /**
   * The station re-checked its own conditions: `current` is what it found. Station alarms not in
   * it clear; those in it are raised (a repeat keeps the entry and its count).
   */
  sync(current: readonly { readonly code: string; readonly message: string; readonly point?: number }[], keep: (code: string) => boolean = () => false): void {
    const wanted = new Set(current.map((c) => keyOf({ origin: "station", ...c })));
    const at = this.now();
    for (const [key, a] of [...this.open]) {
      if (a.origin === "station" && !wanted.has(key) && !keep(a.code)) this.clearKey(key, at);
    }
    for (const c of current) if (!this.open.has(keyOf({ origin: "station", ...c }))) this.raise({ origin: "station", ...c });
  }

  /** Like `sync`, for the station alarms of one code only (a condition re-checked on its own, e.g. a device link). */
  syncCode(code: string, current: readonly { readonly message: string; readonly point?: number }[]): void {
    const wanted = new Map(current.map((c) => [keyOf({ origin: "station", code, ...c }), c] as const));
    const at = this.now();
    for (const [key, a] of [...this.open]) if (a.origin === "station" && a.code === code && !wanted.has(key)) this.clearKey(key, at);
    for (const [key, c] of wanted) {
      const known = this.open.get(key);
      if (!known) this.raise({ origin: "station", code, ...c });
      else if (known.message !== c.message) this.open.set(key, { ...known, message: c.message });
    }
  }

  /**
   * A technician settled what a flow's (or kiosk sale's) alarms were about: they clear — but a kept
   * money alarm stays until its own ack (review 9 final #2: a kiosk sale's paid-twice tells a second
   * payment the decision did not settle, and its journal rows stay unacked). `own`: codes the caller
   * raised itself outside the journal (the kiosk host's attention alarms), which clear even if their
   * code is a kept one.
   */
  clearFlow(flowId: string, own: ReadonlySet<string> = new Set()): void {
    const at = this.now();
    for (const [key, a] of [...this.open]) if (a.flowId === flowId && a.origin === "engine" && (!isKeptAlarm(a) || own.has(a.code))) this.clearKey(key, at);
  }

  /** Every open alarm of this origin and code clears (its cause is gone, e.g. the Invoice Service's port won back); never a kept one. */
  clearCode(origin: AlarmOrigin, code: string): void {
    const at = this.now();
    for (const [key, a] of [...this.open]) if (a.origin === origin && a.code === code && !isKeptAlarm(a)) this.clearKey(key, at);
  }

  /** A flow changed: parked ones hold their alarms open; resolved ones clear them. */
  flowChanged(flowId: string, parked: boolean, finished: boolean): void {
    if (parked && !finished) {
      if (this.parkedFlows.has(flowId)) return;
      this.parkedFlows.add(flowId);
      for (const [key, a] of this.open) if (a.flowId === flowId && a.origin === "engine" && !isKeptAlarm(a)) this.open.set(key, { ...a, clears: "condition" });
      return;
    }
    if (!this.parkedFlows.delete(flowId)) return;
    const at = this.now();
    for (const [key, a] of [...this.open]) if (a.flowId === flowId && a.clears === "condition") this.clearKey(key, at);
  }

  private clearKey(key: string, at: number): void {
    const a = this.open.get(key);
    if (!a) return;
    this.open.delete(key);
    this.tell("cleared", a, at);
  }

  private tell(kind: AlarmChangeKind, alarm: BookAlarm, at: number): void {
    for (const l of this.listeners) {
      try {
        l({ kind, alarm, at });
      } catch {
        // A listener's fault (a closed socket, a full queue) never loses the book's state.
      }
    }
  }
}
