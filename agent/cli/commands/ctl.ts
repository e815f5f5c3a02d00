// `glase-agent ctl <command>`: the technician's client for the running agent's sockets.
// Read-only commands go to status.sock (technician group), the rest to admin.sock.
import { join } from "node:path";
import { parseMinor } from "../../core/money.ts";
import { AgentError } from "../../errors.ts";
import { ControlClient, ControlRequestError } from "../../daemon/sockets/client.ts";
import { ADMIN_SOCKET, STATUS_SOCKET } from "../../daemon/sockets/server.ts";
import { parseOptions, type Command } from "../command.ts";
import { renderAlarms, renderFlows, renderJournal, renderPoints, renderReceipts, renderResult, renderStatus } from "./ctl-render.ts";
import { runTop } from "./ctl-top.ts";
import { renderInvoiceListing } from "../../invoice-service/listing.ts";
import { findSocketDir } from "./socket-dir.ts";

type Values = Record<string, string | boolean | undefined>;
type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string }>;

interface Sub {
  readonly name: string;
  readonly admin: boolean;
  readonly synopsis: string;
  readonly summary: string;
  readonly options?: OptionSpec;
  readonly positionals?: number;
  request(values: Values, positionals: readonly string[]): { cmd: string; args: Record<string, unknown> };
  render?(result: any): string;
  /** Paged listings: print the next page's cursor when the page came back full. */
  more?(values: Values, result: any): void;
}

function intOption(values: Values, key: string, required: boolean): number | undefined {
  const raw = values[key];
  if (raw === undefined) {
    if (required) throw new AgentError("INPUT_INVALID", `--${key} is required`);
    return undefined;
  }
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) throw new AgentError("INPUT_INVALID", `--${key}: expected a positive integer, got '${String(raw)}'`);
  return n;
}

const pointOpt: OptionSpec = { point: { type: "string", short: "p" } };
const pageOpt: OptionSpec = { n: { type: "string", short: "n" }, since: { type: "string" }, cursor: { type: "string" } };

/** `--since`: an ISO date/time, or a duration back from now (90s, 15m, 2h, 7d). */
export function parseSince(raw: string, now = Date.now()): number {
  const rel = /^(\d+)(s|m|h|d)$/.exec(raw);
  if (rel) return now - Number(rel[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as "s" | "m" | "h" | "d"];
  const t = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(t)) throw new AgentError("INPUT_INVALID", `--since: expected an ISO date/time (2026-03-01T08:00) or a duration (15m, 2h, 7d), got '${raw}'`);
  return t;
}

function pageArgs(v: Values): Record<string, unknown> {
  return {
    ...(v.n !== undefined ? { n: intOption(v, "n", true) } : {}),
    ...(typeof v.since === "string" ? { since: parseSince(v.since) } : {}),
    ...(typeof v.cursor === "string" ? { cursor: v.cursor } : {}),
  };
}

/** A full page may have more behind it: say how to get the next one (stderr, so stdout stays the table/JSON). */
function nextPageHint(sub: string, n: number, count: number, cursor: () => string): void {
  if (count < n || count === 0) return;
  process.stderr.write(`(more: glase-agent ctl ${sub} -n ${n} --cursor ${cursor()})\n`);
}

const SUBS: readonly Sub[] = [
  { name: "status", admin: false, synopsis: "status", summary: "station summary and device health", request: () => ({ cmd: "status", args: {} }), render: renderStatus },
  { name: "points", admin: false, synopsis: "points", summary: "every point: state, amount, volume, alarms", request: () => ({ cmd: "points", args: {} }), render: renderPoints },
  {
    name: "flows",
    admin: false,
    synopsis: "flows [--all] [-n N] [--since T] [--cursor FLOW]",
    summary: "active flows, newest first (--all: recent finished ones too)",
    options: { all: { type: "boolean" }, ...pageOpt },
    request: (v) => ({ cmd: "flows", args: { all: v.all === true, ...pageArgs(v) } }),
    render: renderFlows,
    more: (v, r: Array<{ flowId: string }>) => nextPageHint(`flows${v.all ? " --all" : ""}`, Number(v.n ?? 100), r.length, () => r.at(-1)!.flowId),
  },
  { name: "alarms", admin: false, synopsis: "alarms", summary: "open alarms", request: () => ({ cmd: "alarms", args: {} }), render: renderAlarms },
  {
    name: "journal",
    admin: false,
    synopsis: "journal [-n N] [--since T] [--cursor SEQ]",
    summary: "last N journal transitions (default 20), admin actions with who asked among them",
    options: pageOpt,
    request: (v) => ({ cmd: "journal", args: pageArgs(v) }),
    render: renderJournal,
    more: (v, r: Array<{ seq: number }>) => nextPageHint("journal", Number(v.n ?? 20), r.length, () => String(r[0]!.seq)),
  },
  {
    name: "invoices",
    admin: false,
    synopsis: "invoices [-n N] [--since T] [--cursor ID]",
    summary: "Invoice Service: issued invoices (newest N), open notifications, alarms",
    options: pageOpt,
    request: (v) => ({ cmd: "invoices", args: pageArgs(v) }),
    render: renderInvoiceListing,
    more: (v, r: { invoices: Array<{ id: number }> }) => nextPageHint("invoices", Number(v.n ?? 50), r.invoices.length, () => String(r.invoices[0]!.id)),
  },
  {
    name: "issue-invoice",
    admin: true,
    synopsis: "issue-invoice AMOUNT DESCRIPTION REFERENCE [--reusable]",
    summary: "Invoice Service: issue a pay-by-invoice QR (printed when a printer is configured)",
    options: { reusable: { type: "boolean" } },
    positionals: 3,
    request: (v, p) => ({ cmd: "issue-invoice", args: { amountMinor: parseMinor(p[0]!), description: p[1], reference: p[2], payOnce: v.reusable !== true } }),
  },
  {
    name: "receipts",
    admin: false,
    synopsis: "receipts [-n N] [--since T] [--cursor AT:FLOW]",
    summary: "kept receipts, the newest N (printed or waiting for a reprint)",
    options: pageOpt,
    request: (v) => ({ cmd: "receipts", args: pageArgs(v) }),
    render: renderReceipts,
    more: (v, r: Array<{ at: number; flowId: string }>) => nextPageHint("receipts", Number(v.n ?? 50), r.length, () => `${r[0]!.at}:${r[0]!.flowId}`),
  },
  {
    name: "register",
    admin: true,
    synopsis: "register --point N [--name NAME]",
    summary: "register a Glase terminal for a point",
    options: { ...pointOpt, name: { type: "string" } },
    request: (v) => ({ cmd: "register", args: { point: intOption(v, "point", true), ...(v.name ? { name: v.name } : {}) } }),
  },
  { name: "unregister", admin: true, synopsis: "unregister --point N", summary: "unregister a point's terminal", options: pointOpt, request: (v) => ({ cmd: "unregister", args: { point: intOption(v, "point", true) } }) },
  {
    name: "assign-id",
    admin: true,
    synopsis: "assign-id --point N GLASE_ID",
    summary: "bind a Glase ID sticker to a point (see also: glase-agent assign-id --from-scanner)",
    options: pointOpt,
    positionals: 1,
    request: (v, p) => ({ cmd: "assign-id", args: { point: intOption(v, "point", true), glaseId: p[0] } }),
  },
  { name: "stop-point", admin: true, synopsis: "stop-point --point N", summary: "stop a point (delivery settles, no new customers)", options: pointOpt, request: (v) => ({ cmd: "stop-point", args: { point: intOption(v, "point", true) } }) },
  { name: "reprint", admin: true, synopsis: "reprint FLOW_ID|ERSREFERENCE", summary: "print a kept receipt again", positionals: 1, request: (_v, p) => ({ cmd: "reprint", args: { ref: p[0] } }) },
  {
    name: "refund",
    admin: true,
    synopsis: "refund ERSREFERENCE AMOUNT [--point N] [--force]",
    summary: "refund a payment (AMOUNT in currency units, e.g. 12.50); --force: one this agent has no record of",
    options: { ...pointOpt, force: { type: "boolean" } },
    positionals: 2,
    request: (v, p) => {
      const point = intOption(v, "point", false);
      return { cmd: "refund", args: { ersReference: p[0], amountMinor: parseMinor(p[1]!), ...(point ? { point } : {}), ...(v.force === true ? { force: true } : {}) } };
    },
  },
  {
    name: "close-period",
    admin: true,
    synopsis: "close-period [--scope shop|terminal] [--point N] [--report-id ID]",
    summary: "close the transaction period and fetch the report",
    options: { ...pointOpt, scope: { type: "string" }, "report-id": { type: "string" } },
    request: (v) => {
      const point = intOption(v, "point", false);
      return {
        cmd: "close-period",
        args: { ...(v.scope ? { scope: v.scope } : {}), ...(point ? { point } : {}), ...(v["report-id"] ? { reportId: v["report-id"] } : {}) },
      };
    },
    render: (r: { transactionPeriodId?: string; reportId: string; report?: string; flowId: string }) =>
      [`flow: ${r.flowId}`, `period: ${r.transactionPeriodId ?? "-"}`, `report: ${r.reportId}`, "", r.report ?? "(no report content)"].join("\n"),
  },
  {
    name: "resolve",
    admin: true,
    synopsis: "resolve FLOW_ID mark-settled|retry|cancel",
    summary: "resolve a parked flow",
    positionals: 2,
    request: (_v, p) => ({ cmd: "resolve", args: { flowId: p[0], action: p[1] } }),
  },
  { name: "scan", admin: true, synopsis: "scan TEXT", summary: "inject a scan into the virtual scanner", positionals: 1, request: (_v, p) => ({ cmd: "scan", args: { text: p[0] } }) },
];

const COMMON = "Options: --json (machine-readable output), --socket-dir DIR (default: $RUNTIME_DIRECTORY, ./.glase/run, /run/glase-agent)";

const USAGE = [
  "Usage: glase-agent ctl <command> [options]",
  "",
  "Talks to the running agent over its technician sockets.",
  "",
  "Commands (status.sock):",
  ...SUBS.filter((s) => !s.admin).map((s) => `  ${s.synopsis.padEnd(44)} ${s.summary}`),
  `  ${"top".padEnd(44)} live view of the points (q or Ctrl-C quits)`,
  `  ${"watch".padEnd(44)} print every event as it happens`,
  "Commands (admin.sock, the agent's user or root):",
  ...SUBS.filter((s) => s.admin).map((s) => `  ${s.synopsis.padEnd(44)} ${s.summary}`),
  "",
  COMMON,
].join("\n");

function subUsage(s: Sub): string {
  return `Usage: glase-agent ctl ${s.synopsis} [--json] [--socket-dir DIR]\n\n${s.summary} (${s.admin ? ADMIN_SOCKET : STATUS_SOCKET}).\n${COMMON}`;
}

export async function connectTo(dir: string, admin: boolean): Promise<ControlClient> {
  return ControlClient.connect(join(dir, admin ? ADMIN_SOCKET : STATUS_SOCKET));
}

async function runWatch(dir: string, json: boolean): Promise<number> {
  const client = await connectTo(dir, false);
  await client.watch((event) => process.stdout.write((json ? JSON.stringify(event) : renderEventLine(event)) + "\n"));
  await client.closedPromise();
  return 0;
}

function renderEventLine(event: any): string {
  const at = new Date().toISOString().slice(11, 19);
  switch (event?.type) {
    case "snapshot":
      return `${at} snapshot: ${event.points?.length ?? 0} points, ${event.alarms?.length ?? 0} alarms`;
    case "point":
      return `${at} point ${event.point.point}: ${event.point.state}${event.point.amountMinor !== undefined ? ` ${(event.point.amountMinor / 100).toFixed(2)}` : ""}`;
    case "flow":
      return `${at} flow ${event.flow.flowId} (${event.flow.kind}, point ${event.flow.point ?? "-"}): ${event.flow.state}${event.flow.outcome ? ` → ${event.flow.outcome}` : ""}`;
    case "alarm":
      return `${at} ALARM ${event.alarm.code}: ${event.alarm.message}`;
    case "receipt":
      return `${at} receipt ${event.receipt.ersReference} (flow ${event.receipt.flowId})${event.receipt.printed ? "" : " NOT PRINTED"}`;
    case "device":
      return `${at} device ${event.device.device}: ${event.device.state}${event.device.detail ? ` (${event.device.detail})` : ""}`;
    default:
      return `${at} ${JSON.stringify(event)}`;
  }
}

export const ctlCommand: Command = {
  name: "ctl",
  usage: USAGE,
  async run(argv) {
    const [name, ...rest] = argv;
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
      process.stdout.write(USAGE + "\n");
      return name === undefined ? 2 : 0;
    }
    const common: OptionSpec = { json: { type: "boolean" }, "socket-dir": { type: "string" } };
    if (name === "top" || name === "watch") {
      const { values } = parseOptions(rest, common);
      if (values.help) {
        process.stdout.write(`Usage: glase-agent ctl ${name} [--socket-dir DIR]${name === "watch" ? " [--json]" : ""}\n`);
        return 0;
      }
      const dir = findSocketDir(values["socket-dir"] as string | undefined);
      return name === "top" ? runTop(await connectTo(dir, false)) : runWatch(dir, values.json === true);
    }
    const sub = SUBS.find((s) => s.name === name);
    if (!sub) throw new AgentError("INPUT_INVALID", `unknown ctl command '${name}'`);
    const { values, positionals } = parseOptions(rest, { ...common, ...(sub.options ?? {}) }, true);
    if (values.help) {
      process.stdout.write(subUsage(sub) + "\n");
      return 0;
    }
    if (positionals.length !== (sub.positionals ?? 0)) {
      throw new AgentError("INPUT_INVALID", `ctl ${sub.name}: expected ${sub.positionals ?? 0} argument(s): ${sub.synopsis}`);
    }
    const { cmd, args } = sub.request(values as Values, positionals);
    const client = await connectTo(findSocketDir(values["socket-dir"] as string | undefined), sub.admin);
    try {
      const result = await client.request(cmd, args);
      const json = values.json === true;
      process.stdout.write((json ? JSON.stringify(result, null, 2) : (sub.render ?? renderResult)(result)) + "\n");
      sub.more?.(values as Values, result);
      return 0;
    } catch (e) {
      if (e instanceof ControlRequestError) {
        if (values.json) process.stdout.write(JSON.stringify({ error: { code: e.remoteCode, message: e.message } }) + "\n");
        process.stderr.write(`glase-agent ctl ${sub.name}: ${e.remoteCode}: ${e.message}\n`);
        return 1;
      }
      throw e;
    } finally {
      client.close();
    }
  },
};
