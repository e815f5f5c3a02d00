// `glase-agent ctl <command>`: the technician's client for the running agent's sockets.
// Read-only commands go to status.sock (technician group), the rest to admin.sock.
import { join } from "node:path";
import { AgentError } from "../../../base/errors.ts";
import { ControlClient } from "../../daemon/sockets/client.ts";
import { ADMIN_SOCKET, STATUS_SOCKET } from "../../daemon/sockets/server.ts";
import { parseOptions, type Command } from "../command.ts";
import { renderAlarms, renderFlows, renderJournal, renderPoints, renderReceipts, renderResult, renderStatus } from "./ctl-render.ts";
import { runTop } from "./ctl-top.ts";
import { renderInvoiceListing } from "../../invoice-service/listing.ts";
import { chooseSocketDir, type SocketDirChoice } from "./socket-dir.ts";
import { runBackup } from "./ctl-backup.ts";
import { runExport, EXPORT_SYNOPSIS } from "./ctl-export.ts";
import { checkLocalSocketTrust, checkServerPeer } from "./socket-trust.ts";
import { periodReportIds } from "../../core/period-report.ts";
import type { KeptPeriodReport, PeriodCloseResult } from "../../daemon/period-close.ts";
import { renderKeptPeriods, renderPeriodClose } from "./ctl-period.ts";
import { amountArg, positiveAmountArg, ctlTable, type CtlOverride, type CtlSub, type OptionSpec, type Values } from "./ctl-table.ts";

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

/** `--since`: an ISO date/time, or a duration back from now (90s, 15m, 2h, 7d). */
export function parseSince(raw: string, now = Date.now()): number {
  const rel = /^(\d+)(s|m|h|d)$/.exec(raw);
  if (rel) return now - Number(rel[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as "s" | "m" | "h" | "d"];
  const t = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(t)) throw new AgentError("INPUT_INVALID", `--since: expected an ISO date/time (2026-03-01T08:00) or a duration (15m, 2h, 7d), got '${raw}'`);
  return t;
}

/** A full page may have more behind it: say how to get the next one (stderr, so stdout stays the table/JSON). */
function nextPageHint(sub: string, n: number, count: number, cursor: () => string): void {
  if (count < n || count === 0) return;
  process.stderr.write(`(more: glase-agent ctl ${sub} -n ${n} --cursor ${cursor()})\n`);
}

/**
 * What the command line adds to the socket commands (names, roles, summaries and arguments come
 * from agent/daemon/sockets/commands.ts through ctlTable): positionals, how a person writes a value,
 * CLI-only flags, rendering.
 */
const OVERRIDES: Readonly<Record<string, CtlOverride>> = {
  status: { note: "and which socket directory ctl used", render: renderStatus },
  points: { render: renderPoints },
  flows: {
    parse: { since: (raw) => parseSince(raw) },
    names: { cursor: "FLOW" },
    render: renderFlows,
    more: (v, r: Array<{ flowId: string }>) => nextPageHint(`flows${v.all ? " --all" : ""}`, Number(v.n ?? 100), r.length, () => r.at(-1)!.flowId),
  },
  alarms: { render: renderAlarms },
  journal: {
    parse: { since: (raw) => parseSince(raw) },
    names: { cursor: "SEQ" },
    render: renderJournal,
    more: (v, r: Array<{ seq: number }>) => nextPageHint("journal", Number(v.n ?? 20), r.length, () => String(r[0]!.seq)),
  },
  receipts: {
    parse: { since: (raw) => parseSince(raw) },
    names: { cursor: "AT:FLOW" },
    render: renderReceipts,
    more: (v, r: Array<{ at: number; flowId: string }>) => nextPageHint("receipts", Number(v.n ?? 50), r.length, () => `${r[0]!.at}:${r[0]!.flowId}`),
  },
  invoices: {
    parse: { since: (raw) => parseSince(raw) },
    names: { cursor: "ID" },
    render: renderInvoiceListing,
    more: (v, r: { invoices: Array<{ id: number }> }) => nextPageHint("invoices", Number(v.n ?? 50), r.invoices.length, () => String(r.invoices[0]!.id)),
  },
  "issue-invoice": {
    positionals: ["amountMinor", "description", "reference"],
    names: { amountMinor: "AMOUNT" },
    parse: { amountMinor: positiveAmountArg },
    hide: ["payOnce"],
    flags: { reusable: { sets: { payOnce: false } } },
    note: "AMOUNT in currency units, e.g. 12.50; --reusable: may be paid more than once",
  },
  "assign-id": { positionals: ["glaseId"], names: { glaseId: "GLASE_ID" }, note: "see also: glase-agent assign-id --from-scanner" },
  "resume-point": { render: renderResume },
  reprint: { positionals: ["ref"], names: { ref: "FLOW_ID|ERSREFERENCE" } },
  refund: { positionals: ["ersReference", "amountMinor"], names: { ersReference: "ERSREFERENCE", amountMinor: "AMOUNT" }, parse: { amountMinor: positiveAmountArg }, note: "AMOUNT in currency units, e.g. 12.50" },
  "close-period": {
    names: { reportId: "ID" },
    flags: { csv: { sets: {} } },
    check: (args) => {
      const scope = args.scope ?? "shop";
      if (scope !== "shop" && scope !== "terminal") throw new AgentError("INPUT_INVALID", `--scope: expected shop or terminal, got '${String(scope)}'`);
      if (scope === "terminal" && args.point === undefined) throw new AgentError("INPUT_INVALID", "--scope terminal needs --point N (the terminal of that point)");
      // Never imply a scope: a mark cannot be undone, and one that closed the whole shop where a
      // technician meant one pump's till is the worse surprise (review 2 of issue 11 #2).
      if (scope !== "terminal" && args.point !== undefined) throw new AgentError("INPUT_INVALID", "--point N needs --scope terminal (close-period --scope terminal --point N); without it the whole shop's period would be closed");
      // Checked here too, so a typo is a usage error (exit 2) that lists the ids, and nothing is marked.
      if (typeof args.reportId === "string") periodReportIds(scope, [args.reportId]);
    },
    render: (r: PeriodCloseResult, v: Values) => renderPeriodClose(r, v.csv === true),
  },
  periods: {
    optionNames: { flowId: "flow" },
    flags: { csv: { sets: {} } },
    render: (r: KeptPeriodReport[], v: Values) => renderKeptPeriods(r, v.flow !== undefined, v.csv === true),
  },
  ack: {
    positionals: ["id"],
    names: { id: "ALARM_ID" },
    render: (a: { id: string; code: string; clears?: string }) => `alarm ${a.id} (${a.code}) acknowledged${a.clears === "condition" ? "; it stays open until its cause is fixed" : "; cleared"}`,
  },
  resolve: { positionals: ["flowId", "action"], names: { flowId: "FLOW_ID" } },
  "kiosk-resolve": {
    positionals: ["saleId", "outcome"],
    names: { saleId: "SALE_ID" },
    optionNames: { deliveredMinor: "delivered" },
    parse: { deliveredMinor: amountArg },
    note: "--delivered AMOUNT (failed only): what was handed out anyway, in currency units, e.g. 20.00",
    render: (s: { saleId: string; state: string; refund?: { amountMinor: number } }) => `sale ${s.saleId}: ${s.state}${s.refund ? ` (refund ${(s.refund.amountMinor / 100).toFixed(2)})` : ""}`,
  },
  scan: { positionals: ["text"] },
};

export const SUBS: readonly CtlSub[] = ctlTable(OVERRIDES);

const COMMON = "Options: --json (machine-readable output), --socket-dir DIR (default: $RUNTIME_DIRECTORY, else /run/glase-agent when it exists, else ./.glase/run)";

function renderResume(r: { point: number; wasStopped: boolean; outOfService?: { cause: string; detail: string } }): string {
  const head = r.wasStopped ? `point ${r.point}: back in service` : `point ${r.point}: was not stopped`;
  return r.outOfService ? `${head}\nstill out of service (${r.outOfService.cause}): ${r.outOfService.detail}` : head;
}

/**
 * Custom commands (not one request and a rendering): their synopsis for the usage text, and the
 * socket commands they use (ctl-table.ts CTL_VIA says the same from the socket side).
 */
export const SPECIAL = {
  top: { admin: false, uses: ["watch", "unwatch"], synopsis: "top [--interval S] [--iterations N]", summary: "live view of the points (q or Ctrl-C quits; plain periodic output when stdout is not a terminal)" },
  watch: { admin: false, uses: ["watch", "unwatch"], synopsis: "watch", summary: "print every event as it happens" },
  export: { admin: false, uses: ["export"], synopsis: EXPORT_SYNOPSIS, summary: "settled sales and refunds for the bookkeeping (ersReference, time, point, grade, quantity, unit price, amount, VAT)" },
  backup: { admin: true, uses: ["backup", "backup-release"], synopsis: "backup FILE [--force]", summary: "online consistent copy of the journal and the terminal credentials into FILE (0600); --force replaces an existing backup file (never the live journal or anything in the state directory)" },
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

function subUsage(s: CtlSub): string {
  return `Usage: glase-agent ctl ${s.synopsis} [--json] [--socket-dir DIR]\n\n${s.summary} (${s.admin ? ADMIN_SOCKET : STATUS_SOCKET}).\n${COMMON}`;
}

export async function connectTo(dir: string, admin: boolean): Promise<ControlClient> {
  const path = join(dir, admin ? ADMIN_SOCKET : STATUS_SOCKET);
  checkLocalSocketTrust(path, admin);
  const client = await ControlClient.connect(path);
  checkServerPeer(client, path, admin);
  return client;
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
  synopsisOf(argv) {
    const name = argv[0];
    const s = SUBS.find((x) => x.name === name) ?? (name !== undefined && name in SPECIAL ? SPECIAL[name as keyof typeof SPECIAL] : undefined);
    return s ? `ctl ${s.synopsis}` : undefined;
  },
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
    const { values, positionals } = parseOptions(rest, { ...COMMON_OPTIONS, ...sub.options }, true);
    if (values.help) {
      process.stdout.write(subUsage(sub) + "\n");
      return 0;
    }
    if (positionals.length !== sub.positionals) {
      throw new AgentError("INPUT_INVALID", `ctl ${sub.name}: expected ${sub.positionals} argument(s): ${sub.synopsis}`);
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
