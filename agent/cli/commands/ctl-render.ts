// Human output of `glase-agent ctl`: plain aligned tables (no colour, so they paste into tickets
// and pipe into grep). `--json` bypasses all of this.
import { formatMilli, formatMinor } from "../../../base/money.ts";
import type { AlarmInfo, FlowSummary, JournalEntry, PointSnapshot, StoredReceipt } from "../../engine-api.ts";
import type { PointStatus, StationStatus } from "../../daemon/sockets/control.ts";

export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  if (rows.length === 0) return "(none)";
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

/**
 * A time as the technician's shell reads it: its local zone (TZ; by default the system's, which is
 * also station.timeZone's default) and the zone NAMED ("2026-12-01 16:34:33 CET"), so a table is
 * never an unlabelled UTC clock next to a receipt in station time (review 11 #9).
 */
export function time(ms: number | undefined, timeZone?: string): string {
  if (ms === undefined || !Number.isFinite(ms)) return "-";
  const parts = zoned(timeZone).formatToParts(ms);
  const get = (t: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === t)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}:${get("second")} ${get("timeZoneName")}`.trimEnd();
}

const formats = new Map<string, Intl.DateTimeFormat>();
function zoned(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? "";
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", { ...(timeZone ? { timeZone } : {}), year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZoneName: "short" });
    formats.set(key, f);
  }
  return f;
}

const amount = (minor: number | undefined) => (minor === undefined ? "-" : formatMinor(minor));
const unitOf = (kind: string) => (kind === "ev" ? "kWh" : kind === "fuel" ? "L" : "");

export function volume(milli: number | undefined, kind: string): string {
  return milli === undefined ? "-" : `${formatMilli(milli)} ${unitOf(kind)}`.trim();
}

/** Terminal ids are 32 characters; both ends tell them apart (a shared prefix is common). */
function shortId(id: string): string {
  return id.length <= 13 ? id : `${id.slice(0, 4)}…${id.slice(-8)}`;
}

/** The short reason in the table; the whole sentence (what to do) is printed below it. */
function whyShort(p: PointStatus): string {
  const o = p.outOfService;
  if (!o) return "-";
  if (o.cause === "stopped" && o.by) return `stopped by ${o.by.replace(/ on \S+$/, "")}${o.since !== undefined ? ` at ${time(o.since).slice(11)}` : ""}`;
  return o.cause;
}

export function renderPoints(points: readonly (PointSnapshot | PointStatus)[]): string {
  const rows = table(
    ["POINT", "KIND", "STATE", "AMOUNT", "VOLUME", "TERMINAL", "FLOW", "ALARMS", "OUT OF SERVICE"],
    points.map((p) => [
      String(p.point),
      p.kind,
      p.state,
      amount(p.amountMinor),
      volume(p.milli, p.kind),
      p.terminalId ? shortId(p.terminalId) : "(unregistered)",
      p.flowId ?? "-",
      p.alarms.length === 0 ? "-" : p.alarms.map((a) => a.code).join(","),
      whyShort(p),
    ]),
  );
  const notes = points.filter((p): p is PointStatus => "outOfService" in p && p.outOfService !== undefined).map((p) => `point ${p.point} (${p.outOfService!.cause}): ${p.outOfService!.detail}`);
  return notes.length === 0 ? rows : `${rows}\n\n${notes.join("\n")}`;
}

export function renderFlows(flows: readonly FlowSummary[]): string {
  return table(
    ["FLOW", "KIND", "POINT", "STATE", "AMOUNT", "ERSREFERENCE", "OUTCOME", "UPDATED"],
    flows.map((f) => [
      f.flowId,
      f.kind,
      f.point === undefined ? "-" : String(f.point),
      f.parked ? `${f.state} (PARKED)` : f.state,
      amount(f.amountMinor),
      f.ersReference ?? "-",
      f.outcome ?? (f.finished ? "done" : "-"),
      time(f.updatedAt),
    ]),
  );
}

type ListedAlarm = AlarmInfo & { firstAt?: number; lastAt?: number; count?: number; action?: string; acknowledged?: { at: number; by?: string } };

/** The alarm book: one row per open alarm, and under it what resolves it. */
export function renderAlarms(alarms: readonly ListedAlarm[]): string {
  if (alarms.length === 0) return "(none)";
  const rows = table(
    ["ID", "FIRST", "LAST", "COUNT", "POINT", "FLOW", "CODE", "MESSAGE"],
    alarms.map((a) => [
      a.id,
      time(a.firstAt ?? a.at),
      time(a.lastAt ?? a.at),
      String(a.count ?? 1),
      a.point === undefined ? "-" : String(a.point),
      a.flowId ?? "-",
      `${a.code}${a.acknowledged ? " (acked)" : ""}`,
      a.message,
    ]),
  ).split("\n");
  const out = [rows[0]!];
  alarms.forEach((a, i) => {
    out.push(rows[i + 1]!);
    if (a.action) out.push(`    → ${a.action}`);
  });
  return out.join("\n");
}

export function renderJournal(entries: readonly JournalEntry[]): string {
  return table(
    ["SEQ", "AT", "FLOW", "INPUT", "STATE", "EFFECTS"],
    entries.map((e) => [String(e.seq), time(e.at), e.flowId, e.input, e.state, e.effects.join(",") || "-"]),
  );
}

export function renderReceipts(receipts: readonly StoredReceipt[]): string {
  return table(
    ["AT", "FLOW", "ERSREFERENCE", "AMOUNT", "POINT", "PRINTED"],
    receipts.map((r) => [
      time(r.at),
      r.flowId,
      r.ersReference,
      `${formatMinor(r.content.amountMinor)} ${r.content.currency}`,
      r.content.point === undefined ? "-" : String(r.content.point),
      r.printed ? "yes" : "NO (reprint)",
    ]),
  );
}

export function renderStatus(s: StationStatus & { socketDir?: { dir: string; why: string } }): string {
  const alerts = s.alerts?.targets.map((t) => `${t.target} ${t.delivered} delivered, ${t.queued} queued, ${t.dropped} dropped, ${t.failed} failed${t.lastError && t.queued > 0 ? ` (retrying: ${t.lastError})` : ""}`);
  const head = [
    `station:   ${s.station}`,
    `phase:     ${s.phase}${s.accepting ? "" : " (not accepting customers)"}`,
    `pid:       ${s.pid}, up since ${time(s.startedAt)}, version ${s.version}`,
    `points:    ${s.points}`,
    `flows:     ${s.activeFlows} active, ${s.parkedFlows} parked`,
    `alarms:    ${s.alarms}${s.alarmCodes && s.alarmCodes.length > 0 ? ` (${s.alarmCodes.join(", ")}; ctl alarms)` : ""}`,
    ...(alerts && alerts.length > 0 ? [`alerts:    ${alerts.join("; ")}`] : []),
    ...(s.socketDir ? [`sockets:   ${s.socketDir.dir} — ${s.socketDir.why}`] : []),
    "",
  ];
  const devices = table(
    ["DEVICE", "KIND", "STATE", "SINCE", "DETAIL"],
    s.devices.map((d) => [d.controller ? `${d.device} ${d.controller}` : d.device, d.kind, d.state, time(d.since), d.detail ?? "-"]),
  );
  return head.join("\n") + devices;
}

/** Generic fallback for admin command results: key: value lines. */
export function renderResult(result: unknown): string {
  if (result === null || result === undefined) return "ok";
  if (typeof result !== "object") return String(result);
  return Object.entries(result as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join("\n");
}
