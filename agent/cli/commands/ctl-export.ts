// `glase-agent ctl export --since DATE [--until DATE] [--format csv|json] [--output FILE]`:
// settled sales and refunds for the bookkeeping, read from the agent's journal a page at a time
// (status.sock: technicians may run it) and streamed out — to stdout, or to FILE written durably
// (0600: it is the station's sales). A summary with the totals goes to stderr, so stdout stays
// the CSV/JSON a script reads.
//
// Dates: `2026-03-01` is that day's local midnight; as --until it means the end of that day, so
// `--since 2026-03-01 --until 2026-03-31` is all of March. A time (`2026-03-01T06:00`) is used as
// given (local time unless it has a zone); a duration (`7d`, `12h`) counts back from now.
import { resolve } from "node:path";
import { formatMinor } from "../../../base/money.ts";
import type { ControlClient } from "../../daemon/sockets/client.ts";
import type { ExportPageResult } from "../../daemon/sockets/control.ts";
import { writeFileDurably } from "../../../base/io/durable-file.ts";
import { AgentError } from "../../../base/errors.ts";
import { CSV_HEADER, csvLine, ExportTally, type ExportRow, type ExportTotals } from "../../export/sales-export.ts";

export const EXPORT_SYNOPSIS = "export --since DATE [--until DATE] [--format csv|json] [-o FILE]";

const PAGE = 500;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DURATION = /^(\d+)(m|h|d)$/;

/** A --since/--until value as ms since the epoch; `endOfDay` for a date-only --until. */
export function parseExportDate(raw: string, option: string, endOfDay: boolean, now = Date.now()): number {
  const day = DAY.exec(raw);
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]) - 1, Number(day[3])];
    const at = new Date(y, m, d);
    if (at.getFullYear() !== y || at.getMonth() !== m || at.getDate() !== d) throw new AgentError("INPUT_INVALID", `--${option}: no such date '${raw}'`);
    return endOfDay ? new Date(y, m, d + 1).getTime() : at.getTime();
  }
  const rel = DURATION.exec(raw);
  if (rel) return now - Number(rel[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as "m" | "h" | "d"];
  const t = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(raw) || Number.isNaN(t)) {
    throw new AgentError("INPUT_INVALID", `--${option}: expected a date (2026-03-01), a date and time (2026-03-01T06:00) or a duration (7d, 12h), got '${raw}'`);
  }
  return t;
}

async function* rowsOf(connect: () => Promise<ControlClient>, since: number, until: number): AsyncGenerator<ExportRow> {
  const client = await connect();
  try {
    let cursor: string | undefined;
    do {
      const page = await client.request<ExportPageResult>("export", { since, until, n: PAGE, ...(cursor !== undefined ? { cursor } : {}) });
      yield* page.rows;
      cursor = page.next;
    } while (cursor !== undefined);
  } finally {
    client.close();
  }
}

async function* csvChunks(rows: AsyncIterable<ExportRow>, tally: ExportTally): AsyncGenerator<Uint8Array> {
  yield Buffer.from(CSV_HEADER);
  for await (const r of rows) {
    tally.add(r);
    yield Buffer.from(csvLine(r));
  }
}

async function* jsonChunks(rows: AsyncIterable<ExportRow>, tally: ExportTally, since: number, until: number): AsyncGenerator<Uint8Array> {
  yield Buffer.from(`{"since":${JSON.stringify(new Date(since).toISOString())},"until":${JSON.stringify(new Date(until).toISOString())},"rows":[`);
  for await (const r of rows) {
    yield Buffer.from((tally.count > 0 ? ",\n" : "\n") + JSON.stringify(r));
    tally.add(r);
  }
  yield Buffer.from(`\n],"totals":${JSON.stringify(tally.totals())}}\n`);
}

async function toStdout(chunks: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const c of chunks) {
    if (!process.stdout.write(c)) await new Promise<void>((r) => process.stdout.once("drain", () => r()));
  }
}

function summary(t: ExportTotals, currency: string): string {
  const m = (n: number) => `${formatMinor(n)}${currency ? ` ${currency}` : ""}`;
  return `exported ${t.sales.count} sales (${m(t.sales.amountMinor)}, VAT ${m(t.sales.vatMinor)}) and ${t.refunds.count} refunds (${m(t.refunds.amountMinor)}, VAT ${m(t.refunds.vatMinor)}): net ${m(t.net.amountMinor)}, VAT ${m(t.net.vatMinor)}`;
}

export async function runExport(values: Record<string, string | boolean | undefined>, connect: () => Promise<ControlClient>): Promise<number> {
  if (typeof values.since !== "string") throw new AgentError("INPUT_INVALID", "--since DATE is required (e.g. --since 2026-03-01)");
  const since = parseExportDate(values.since, "since", false);
  const until = typeof values.until === "string" ? parseExportDate(values.until, "until", true) : Date.now();
  if (until <= since) throw new AgentError("INPUT_INVALID", "--until must be after --since");
  const format = (values.format ?? (values.json === true ? "json" : "csv")) as string;
  if (format !== "csv" && format !== "json") throw new AgentError("INPUT_INVALID", `--format: csv or json, got '${format}'`);
  const tally = new ExportTally();
  const rows = rowsOf(connect, since, until);
  const chunks = format === "csv" ? csvChunks(rows, tally) : jsonChunks(rows, tally, since, until);
  if (typeof values.output === "string") await writeFileDurably(resolve(values.output), chunks, { mode: 0o600 });
  else await toStdout(chunks);
  const currency = tally.currencies.size === 1 ? [...tally.currencies][0]! : "";
  process.stderr.write(summary(tally.totals(), currency) + (typeof values.output === "string" ? ` → ${resolve(values.output)}` : "") + "\n");
  return 0;
}
