// `glase-agent ctl <command>`: the technician's client for the running agent's sockets.
// Read-only commands go to status.sock (technician group), the rest to admin.sock.
import { join } from "node:path";
import { parseMinor } from "../../core/money.ts";
import { AgentError } from "../../errors.ts";
import { ControlClient } from "../../daemon/sockets/client.ts";
import { ADMIN_SOCKET, STATUS_SOCKET } from "../../daemon/sockets/server.ts";
import { checkLocalSocketTrust } from "./socket-trust.ts";
import { parseOptions, type Command } from "../command.ts";
import { renderAlarms, renderFlows, renderJournal, renderPoints, renderReceipts, renderResult, renderStatus } from "./ctl-render.ts";
import { runTop } from "./ctl-top.ts";
import { renderInvoiceListing } from "../../invoice-service/listing.ts";
import { chooseSocketDir, type SocketDirChoice } from "./socket-dir.ts";
import { runBackup } from "./ctl-backup.ts";
import { runExport, EXPORT_SYNOPSIS } from "./ctl-export.ts";
import { periodReportIds } from "../../core/period-report.ts";
import type { KeptPeriodReport, PeriodCloseResult } from "../../daemon/period-close.ts";
import { renderKeptPeriods, renderPeriodClose } from "./ctl-period.ts";

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
  render?(result: any, values?: Values): string;
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
  { name: "status", admin: false, synopsis: "status", summary: "station summary, device health, and which socket directory ctl used", request: () => ({ cmd: "status", args: {} }), render: renderStatus },
  { name: "points", admin: false, synopsis: "points", summary: "every point: state, amount, volume, alarms, why it is out of service", request: () => ({ cmd: "points", args: {} }), render: renderPoints },
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
  {
    name: "periods",
    admin: false,
    synopsis: "periods [-n N] [--flow FLOW_ID] [--csv]",
    summary: "period closes kept in the journal (newest first); --flow: that close's whole report",
    options: { n: { type: "string", short: "n" }, flow: { type: "string" }, csv: { type: "boolean" } },
    request: (v) => {
      const n = intOption(v, "n", false);
      return { cmd: "periods", args: { ...(n ? { n } : {}), ...(typeof v.flow === "string" ? { flowId: v.flow } : {}) } };
    },
    render: (r: KeptPeriodReport[], v?: Values) => renderKeptPeriods(r, v?.flow !== undefined, v?.csv === true),
  },
  {
    name: "ack",
    admin: true,
    synopsis: "ack ALARM_ID",
    summary: "acknowledge an alarm (an event alarm clears; a condition's stays until its cause is fixed)",
    positionals: 1,
    request: (_v, p) => ({ cmd: "ack", args: { id: p[0] } }),
    render: (a: { id: string; code: string; clears?: string }) => `alarm ${a.id} (${a.code}) acknowledged${a.clears === "condition" ? "; it stays open until its cause is fixed" : "; cleared"}`,
  },
  { name: "alarms", admin: false, synopsis: "alarms", summary: "open alarms: code, first/last time, count, what resolves it", request: () => ({ cmd: "alarms", args: {} }), render: renderAlarms },
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
  { name: "stop-point", admin: true, synopsis: "stop-point --point N", summary: "stop a point (delivery settles, no new customers; lasts across restarts)", options: pointOpt, request: (v) => ({ cmd: "stop-point", args: { point: intOption(v, "point", true) } }) },
  {
    name: "resume-point",
    admin: true,
    synopsis: "resume-point --point N",
    summary: "put a stopped point back into service",
    options: pointOpt,
    request: (v) => ({ cmd: "resume-point", args: { point: intOption(v, "point", true) } }),
    render: renderResume,
  },
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
    synopsis: "close-period [--scope shop|terminal] [--point N] [--report-id ID] [--print] [--csv]",
    summary: "close the transaction period; show its totals and lines (--print: also on the receipt printer; --csv, --json)",
    options: { ...pointOpt, scope: { type: "string" }, "report-id": { type: "string" }, print: { type: "boolean" }, csv: { type: "boolean" } },
    request: (v) => {
      const point = intOption(v, "point", false);
      const scope = v.scope ?? "shop";
      if (scope !== "shop" && scope !== "terminal") throw new AgentError("INPUT_INVALID", `--scope: expected shop or terminal, got '${String(scope)}'`);
      if (scope === "terminal" && point === undefined) throw new AgentError("INPUT_INVALID", "--scope terminal needs --point N (the terminal of that point)");
      // Checked here too, so a typo is a usage error (exit 2) that lists the ids, and nothing is marked.
      if (typeof v["report-id"] === "string") periodReportIds(scope, [v["report-id"]]);
      return {
        cmd: "close-period",
        args: { scope, ...(point ? { point } : {}), ...(v["report-id"] ? { reportId: v["report-id"] } : {}), ...(v.print === true ? { print: true } : {}) },
      };
    },
    render: (r: PeriodCloseResult, v?: Values) => renderPeriodClose(r, v?.csv === true),
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

const COMMON = "Options: --json (machine-readable output), --socket-dir DIR (default: $RUNTIME_DIRECTORY, else /run/glase-agent when it exists, else ./.glase/run)";

function renderResume(r: { point: number; wasStopped: boolean; outOfService?: { cause: string; detail: string } }): string {
  const head = r.wasStopped ? `point ${r.point}: back in service` : `point ${r.point}: was not stopped`;
  return r.outOfService ? `${head}\nstill out of service (${r.outOfService.cause}): ${r.outOfService.detail}` : head;
}

/** Custom commands (not one request and a rendering): their synopsis for the usage text. */
const SPECIAL = {
  top: { admin: false, synopsis: "top [--interval S] [--iterations N]", summary: "live view of the points (q or Ctrl-C quits; plain periodic output when stdout is not a terminal)" },
  watch: { admin: false, synopsis: "watch", summary: "print every event as it happens" },
  export: { admin: false, synopsis: EXPORT_SYNOPSIS, summary: "settled sales and refunds for the bookkeeping (ersReference, time, point, grade, quantity, unit price, amount, VAT)" },
  backup: { admin: true, synopsis: "backup FILE [--force]", summary: "online consistent copy of the journal and the terminal credentials into FILE (0600)" },
} as const;

const USAGE = [
  "Usage: glase-agent ctl <command> [options]",
  "",
  "Talks to the running agent over its technician sockets.",
  "",
  "Commands (status.sock):",
  ...[...SUBS, ...Object.values(SPECIAL)].filter((s) => !s.admin).map((s) => `  ${s.synopsis.padEnd(44)} ${s.summary}`),
  "Commands (admin.sock, the agent's user or root):",
  ...[...SUBS, ...Object.values(SPECIAL)].filter((s) => s.admin).map((s) => `  ${s.synopsis.padEnd(44)} ${s.summary}`),
  "",
  COMMON,
  "Exit status: 0 ok, 1 the agent refused (its error code is printed), 2 usage, 3 agent unreachable, 4 permission denied, 5 timeout;",
  "with --json a failure also prints {\"error\":{\"code\",\"message\",\"exitCode\"}} on stdout.",
].join("\n");

function subUsage(s: Sub): string {
  return `Usage: glase-agent ctl ${s.synopsis} [--json] [--socket-dir DIR]\n\n${s.summary} (${s.admin ? ADMIN_SOCKET : STATUS_SOCKET}).\n${COMMON}`;
}

export async function connectTo(dir: string, admin: boolean): Promise<ControlClient> {
  const path = join(dir, admin ? ADMIN_SOCKET : STATUS_SOCKET);
  checkLocalSocketTrust(path, admin);
  return ControlClient.connect(path);
}

async function runWatch(dir: string, json: boolean): Promise<number> {
  const client = await connectTo(dir, false);
  process.once("SIGINT", () => client.close());
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
    case "alarm": {
      const a = event.alarm;
      const change = event.change ?? "raised";
      if (change === "cleared") return `${at} alarm ${a.id} ${a.code} cleared`;
      if (change === "acknowledged") return `${at} alarm ${a.id} ${a.code} acknowledged${a.acknowledged?.by ? ` by ${a.acknowledged.by}` : ""}`;
      return `${at} ALARM ${a.id} ${a.code}${change === "repeated" ? ` (×${a.count})` : ""}: ${a.message}${a.action ? ` → ${a.action}` : ""}`;
    }
    case "receipt":
      return `${at} receipt ${event.receipt.ersReference} (flow ${event.receipt.flowId})${event.receipt.printed ? "" : " NOT PRINTED"}`;
    case "device":
      return `${at} device ${event.device.device}: ${event.device.state}${event.device.detail ? ` (${event.device.detail})` : ""}`;
    default:
      return `${at} ${JSON.stringify(event)}`;
  }
}

function positiveNumber(values: Values, key: string): number | undefined {
  const raw = values[key];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new AgentError("INPUT_INVALID", `--${key}: expected a positive number, got '${String(raw)}'`);
  return n;
}

const COMMON_OPTIONS: OptionSpec = { json: { type: "boolean" }, "socket-dir": { type: "string" } };

async function runSpecial(name: keyof typeof SPECIAL, rest: readonly string[]): Promise<number> {
  const extra: OptionSpec =
    name === "top"
      ? { interval: { type: "string" }, iterations: { type: "string" } }
      : name === "export"
        ? { since: { type: "string" }, until: { type: "string" }, format: { type: "string" }, output: { type: "string", short: "o" } }
        : name === "backup"
          ? { force: { type: "boolean" } }
          : {};
  const { values, positionals } = parseOptions(rest, { ...COMMON_OPTIONS, ...extra }, name === "backup");
  const spec = SPECIAL[name];
  if (values.help) {
    process.stdout.write(`Usage: glase-agent ctl ${spec.synopsis} [--json] [--socket-dir DIR]\n\n${spec.summary} (${spec.admin ? ADMIN_SOCKET : STATUS_SOCKET}).\n${COMMON}\n`);
    return 0;
  }
  const dir = chooseSocketDir(values["socket-dir"] as string | undefined).dir;
  const v = values as Values;
  switch (name) {
    case "top": {
      const interval = positiveNumber(v, "interval");
      const iterations = intOption(v, "iterations", false);
      return runTop(await connectTo(dir, false), process.stdout, process.stdin, { ...(interval !== undefined ? { intervalMs: interval * 1000 } : {}), ...(iterations !== undefined ? { iterations } : {}) });
    }
    case "watch":
      return runWatch(dir, v.json === true);
    case "export":
      return runExport(v, () => connectTo(dir, false));
    case "backup":
      if (positionals.length !== 1) throw new AgentError("INPUT_INVALID", `ctl backup: expected 1 argument: ${spec.synopsis}`);
      return runBackup(positionals[0]!, v, () => connectTo(dir, true));
  }
}

export const ctlCommand: Command = {
  name: "ctl",
  usage: USAGE,
  async run(argv) {
    const [name, ...rest] = argv;
    if (name === "--help" || name === "-h" || name === "help") {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    if (name === undefined) {
      process.stderr.write(USAGE + "\n");
      return 2;
    }
    if (Object.hasOwn(SPECIAL, name)) return runSpecial(name as keyof typeof SPECIAL, rest);
    const sub = SUBS.find((s) => s.name === name);
    if (!sub) throw new AgentError("INPUT_INVALID", `unknown ctl command '${name}'`);
    const { values, positionals } = parseOptions(rest, { ...COMMON_OPTIONS, ...(sub.options ?? {}) }, true);
    if (values.help) {
      process.stdout.write(subUsage(sub) + "\n");
      return 0;
    }
    if (positionals.length !== (sub.positionals ?? 0)) {
      throw new AgentError("INPUT_INVALID", `ctl ${sub.name}: expected ${sub.positionals ?? 0} argument(s): ${sub.synopsis}`);
    }
    const { cmd, args } = sub.request(values as Values, positionals);
    const where = chooseSocketDir(values["socket-dir"] as string | undefined);
    const client = await connectTo(where.dir, sub.admin);
    try {
      let result = await client.request(cmd, args);
      // `ctl status` says where it found the agent, so nobody has to guess which one answered.
      if (sub.name === "status" && typeof result === "object" && result !== null) result = { ...result, socketDir: socketDirInfo(where) };
      const json = values.json === true;
      process.stdout.write((json ? JSON.stringify(result, null, 2) : (sub.render ?? renderResult)(result, values as Values)) + "\n");
      sub.more?.(values as Values, result);
      return 0;
    } finally {
      client.close();
    }
  },
};

function socketDirInfo(c: SocketDirChoice): { dir: string; source: string; why: string } {
  return { dir: c.dir, source: c.source, why: c.why };
}
