// The Invoice Service's clock faces: `purchaseTime` in the JSON is `dd.MM.yyyy HH:mm:ss` local
// time with no zone, the report's PURCHASE_TIME is ISO-8601 with an offset; the server's zone is
// Europe/Stockholm (contract §9 A37). Report dates (ddMMyyyy) are Stockholm calendar days.
const ZONE = "Europe/Stockholm";

const FORMAT = new Intl.DateTimeFormat("en-GB", {
  timeZone: ZONE,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

interface LocalParts {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
}

function localParts(ms: number): LocalParts {
  const parts: Record<string, string> = {};
  for (const p of FORMAT.formatToParts(new Date(ms))) parts[p.type] = p.value;
  return parts as unknown as LocalParts;
}

/** 15.03.2024 14:22:09 */
export function formatPurchaseTime(ms: number): string {
  const p = localParts(ms);
  return `${p.day}.${p.month}.${p.year} ${p.hour}:${p.minute}:${p.second}`;
}

/** 2024-03-15T14:22:09+01:00 */
export function formatIsoWithOffset(ms: number): string {
  const p = localParts(ms);
  const wallAsUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  const offsetMin = Math.round((wallAsUtc - Math.floor(ms / 1000) * 1000) / 60_000);
  const sign = offsetMin < 0 ? "-" : "+";
  const abs = Math.abs(offsetMin);
  const hh = String(Math.floor(abs / 60)).padStart(2, "0");
  const mm = String(abs % 60).padStart(2, "0");
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}${sign}${hh}:${mm}`;
}

/** Stockholm calendar day of an instant as a sortable yyyymmdd number. */
export function localDayKey(ms: number): number {
  const p = localParts(ms);
  return Number(`${p.year}${p.month}${p.day}`);
}

/** Parses a report date `ddMMyyyy` into a yyyymmdd day key; undefined when not a real date. */
export function parseReportDate(text: string): number | undefined {
  const m = /^(\d{2})(\d{2})(\d{4})$/.exec(text);
  if (!m) return undefined;
  const [, dd, mm, yyyy] = m as unknown as [string, string, string, string];
  const d = new Date(Date.UTC(+yyyy, +mm - 1, +dd));
  if (d.getUTCFullYear() !== +yyyy || d.getUTCMonth() !== +mm - 1 || d.getUTCDate() !== +dd) return undefined;
  return Number(`${yyyy}${mm}${dd}`);
}
