// A charger's timestamps as the agent reads them. The schemas' date-time format (ajv-formats, as
// ocpp-rpc runs it) accepts more than Date.parse reads (review 12m, observations): an hour-only
// offset (`+01`) and a leap second (`23:59:60`) give NaN, and no offset at all gives the agent
// host's local time. So one reader decides: `ocppTime` reads every form the format accepts, with
// a timestamp without offset taken as UTC (what chargers keep as a rule; the host's time zone is
// nothing the charger knows) and a leap second (:60) as the last millisecond before the next
// second; what it cannot read (an offset of 24 h or more, 60 minutes or more) is refused by the
// validator like any other bad timestamp (validation.ts). `canonicalTimes` then rewrites a
// message's timestamps to the ISO form every later Date.parse reads exactly, before any handler
// runs (driver.ts): no NaN, no host time zone, in any arithmetic on a charger's time.

const DATE_TIME = /^(\d{4})-(\d\d)-(\d\d)[Tt\s](\d\d):(\d\d):(\d\d)(\.\d+)?(?:([Zz])|([+-])(\d\d)(?::?(\d\d))?)?$/;

/** The instant a charger's date-time stands for (ms since the epoch), NaN if it reads as none. */
export function ocppTime(text: string): number {
  const m = DATE_TIME.exec(text);
  if (!m) return NaN;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = m[7] ? Number(`${m[7].slice(1)}00`.slice(0, 3)) : 0; // the digits, not 0.123 × 1000 in binary
  // A leap second is 23:59:60 in UTC, so at any minute in local time; the schema's format allows
  // only a local 23:59:60, this reader any :60 — read as the last millisecond before the next second.
  const leap = second === 60;
  const offsetH = m[10] !== undefined ? Number(m[10]) : 0;
  const offsetM = m[11] !== undefined ? Number(m[11]) : 0;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || (second > 59 && !leap) || offsetH > 23 || offsetM > 59) return NaN;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day); // not Date.UTC: it reads years 0-99 as 1900-1999
  if (d.getUTCMonth() !== month - 1) return NaN; // 31 April, 29 February of a common year
  d.setUTCHours(hour, minute, leap ? 59 : second, leap ? 999 : ms);
  const offsetMs = (offsetH * 60 + offsetM) * 60_000 * (m[9] === "-" ? -1 : 1);
  return d.getTime() - offsetMs;
}

/** Whether the agent reads `text` as an instant (the validator's date-time format). */
export function readableTime(text: string): boolean {
  return Number.isFinite(ocppTime(text));
}

/**
 * A charger's message with its timestamps — `timestamp`, and each `meterValue` or
 * `transactionData` entry's — in canonical ISO form (a new object where one changed; an
 * unreadable one, which the validator refused already, is left as it is).
 */
export function canonicalTimes<T>(params: T): T {
  if (typeof params !== "object" || params === null) return params;
  const p = params as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  const set = (k: string, v: unknown) => ((out ??= { ...p })[k] = v);
  const ts = canonical(p.timestamp);
  if (ts !== p.timestamp) set("timestamp", ts);
  for (const k of ["meterValue", "transactionData"]) {
    const list = p[k];
    if (!Array.isArray(list)) continue;
    let changed = false;
    const next = list.map((mv: unknown) => {
      if (typeof mv !== "object" || mv === null) return mv;
      const t = canonical((mv as { timestamp?: unknown }).timestamp);
      if (t === (mv as { timestamp?: unknown }).timestamp) return mv;
      changed = true;
      return { ...mv, timestamp: t };
    });
    if (changed) set(k, next);
  }
  return (out ?? params) as T;
}

function canonical(v: unknown): unknown {
  if (typeof v !== "string") return v;
  const t = ocppTime(v);
  if (!Number.isFinite(t)) return v;
  const iso = new Date(t).toISOString();
  // Already canonical in effect (a Z timestamp Date.parse reads the same): kept as sent.
  return Date.parse(v) === t ? v : iso;
}
