// The technician commands: name, which socket may run them, their arguments (zod, so a bad
// argument is answered with the path and the problem) and what they do on a StationControl.
// status.sock runs the read-only ones; admin.sock runs all of them.
import { z } from "zod";
import { AgentError } from "../../../base/errors.ts";
import { parseGlaseId } from "../glase-id.ts";
import type { AdminActor, StationControl } from "./control.ts";

export type SocketRole = "status" | "admin";

/** What the socket layer knows about the request besides its arguments. */
export interface CommandContext {
  /** Who asked (admin commands): the kernel's peer credentials and the client's claims. */
  readonly actor?: AdminActor;
}

export interface CommandSpec<A = unknown> {
  readonly name: string;
  readonly role: SocketRole;
  /**
   * What the command does, for the socket's `help` and for `ctl --help` alike (ctl's table is
   * generated from these specs: agent/cli/commands/ctl-table.ts), so say it without the syntax of
   * either; amounts here are minor units, ctl notes where it takes them as typed (12.50).
   */
  readonly summary: string;
  /** Not listed by `help` (test hooks). */
  readonly hidden?: boolean;
  readonly args: z.ZodType<A>;
  run(control: StationControl, args: A, ctx: CommandContext): unknown;
}

const none = z.strictObject({}).prefault({});
const point = z.number().int().positive();
/** Paging of the listings that grow without bound (see PageQuery). */
const page = (defaultN: number, maxN: number) => ({
  n: z.number().int().min(1).max(maxN).default(defaultN),
  since: z.number().int().min(0).optional(),
  cursor: z.string().min(1).max(200).optional(),
});

function command<S extends z.ZodType>(spec: {
  name: string;
  role: SocketRole;
  summary: string;
  hidden?: boolean;
  args: S;
  run(control: StationControl, args: z.infer<S>, ctx: CommandContext): unknown;
}): CommandSpec {
  return spec as unknown as CommandSpec;
}

export const COMMANDS: readonly CommandSpec[] = [
  command({ name: "status", role: "status", summary: "station summary and device health", args: none, run: (c) => c.status() }),
  command({ name: "points", role: "status", summary: "every point: state, amount, volume, alarms, why it is out of service", args: none, run: (c) => c.points() }),
  command({
    name: "flows",
    role: "status",
    summary: "active flows, newest first (all: recent finished ones too); paged",
    args: z.strictObject({ all: z.boolean().default(false), ...page(100, 200) }).prefault({}),
    run: (c, a) => c.flows(a),
  }),
  command({
    name: "periods",
    role: "status",
    summary: "period closes kept in the journal (totals and lines), newest first; flowId: that one",
    args: z.strictObject({ n: z.number().int().min(1).max(200).default(10), flowId: z.string().min(1).max(100).optional() }).prefault({}),
    run: (c, a) => {
      if (!c.periodReports) throw new AgentError("NOT_FOUND", "kept period reports are not available in this station");
      return c.periodReports(a);
    },
  }),
  command({ name: "alarms", role: "status", summary: "open alarms: code, first/last time, count, what resolves it", args: none, run: (c) => c.alarms() }),
  command({
    name: "ack",
    role: "admin",
    summary: "acknowledge an open alarm (an event alarm clears; a condition's stays until fixed)",
    args: z.strictObject({ id: z.string().min(1).max(40) }),
    run: (c, a, ctx) => {
      if (!c.ackAlarm) throw new AgentError("NOT_FOUND", "this station has no alarm book");
      return c.ackAlarm(a.id, ctx.actor);
    },
  }),
  command({
    name: "journal",
    role: "status",
    summary: "the last journal transitions (default 20), admin actions with who asked among them; paged back",
    args: z.strictObject({ ...page(20, 200), cursor: z.string().regex(/^\d{1,15}$/, "a journal seq").optional() }).prefault({}),
    run: (c, a) => c.journalTail(a.n, { ...(a.since !== undefined ? { since: a.since } : {}), ...(a.cursor !== undefined ? { cursor: a.cursor } : {}) }),
  }),
  command({
    name: "receipts",
    role: "status",
    summary: "kept receipts, the newest first (printed or waiting for a reprint); paged back",
    args: z.strictObject(page(50, 200)).prefault({}),
    run: (c, a) => c.receipts(a),
  }),
  command({ name: "watch", role: "status", summary: "stream of events (points, flows, alarms, receipts, devices)", args: none, run: () => ({ watching: true }) }),
  command({ name: "unwatch", role: "status", summary: "end the event stream on this connection", args: none, run: () => ({ watching: false }) }),
  command({
    name: "invoices",
    role: "status",
    summary: "Invoice Service: issued invoices (newest first), open notifications, alarms; paged back",
    args: z.strictObject(page(50, 100)).prefault({}),
    run: (c, a) => {
      if (!c.invoices) throw new AgentError("NOT_FOUND", "the Invoice Service is not configured (invoiceService in the config)");
      return c.invoices(a);
    },
  }),
  command({
    name: "export",
    role: "status",
    summary: "settled sales and refunds in [since, until) (ms since the epoch) for the bookkeeping; n ≤ 1000 per page, cursor from the previous page's next",
    args: z.strictObject({ since: z.number().int().min(0), until: z.number().int().min(1), cursor: z.string().min(1).max(220).optional(), n: z.number().int().min(1).max(1000).default(500) }),
    run: (c, a) => {
      if (!c.exportSales) throw new AgentError("NOT_FOUND", "export is not available on this station");
      return c.exportSales(a);
    },
  }),
  command({ name: "help", role: "status", summary: "commands available on this socket", args: none, run: () => undefined }),

  command({
    name: "register",
    role: "admin",
    summary: "register a Glase terminal for a point (shop credentials from the config)",
    args: z.strictObject({ point, name: z.string().min(1).max(80).optional(), externalTerminalId: z.string().min(1).max(80).optional() }),
    run: (c, a) => c.registerTerminal(a.point, { name: a.name, externalTerminalId: a.externalTerminalId }),
  }),
  command({
    name: "unregister",
    role: "admin",
    summary: "unregister a point's terminal and forget its credentials",
    args: z.strictObject({ point }),
    run: (c, a) => c.unregisterTerminal(a.point).then(() => ({ point: a.point, unregistered: true })),
  }),
  command({
    name: "assign-id",
    role: "admin",
    summary: "bind a Glase ID sticker to a point's terminal",
    args: z.strictObject({ point, glaseId: z.string() }),
    run: (c, a) => {
      const id = parseGlaseId(a.glaseId);
      return c.assignGlaseId(a.point, id).then(() => ({ point: a.point, glaseId: id }));
    },
  }),
  command({
    name: "stop-point",
    role: "admin",
    summary: "stop a point: a running delivery stops and settles, new customers are refused",
    args: z.strictObject({ point }),
    run: (c, a, ctx) => c.stopPoint(a.point, ctx.actor).then(() => ({ point: a.point, stopped: true })),
  }),
  command({
    name: "resume-point",
    role: "admin",
    summary: "put a stopped point back into service (a stop lasts across restarts until this; says what else keeps it out)",
    args: z.strictObject({ point }),
    run: (c, a, ctx) => c.resumePoint(a.point, ctx.actor),
  }),
  command({
    name: "backup",
    role: "admin",
    summary: "online snapshot of the journal(s) and terminal credentials, staged for `ctl backup FILE` to pack",
    args: none,
    run: (c) => {
      if (!c.backup) throw new AgentError("NOT_FOUND", "backup is not available on this station");
      return c.backup();
    },
  }),
  command({
    name: "backup-release",
    role: "admin",
    summary: "remove a staged backup snapshot (after `ctl backup` wrote its file)",
    args: z.strictObject({ id: z.string().min(1).max(64) }),
    run: (c, a) => {
      if (!c.releaseBackup) throw new AgentError("NOT_FOUND", "backup is not available on this station");
      return c.releaseBackup(a.id);
    },
  }),
  command({
    name: "print-test",
    role: "admin",
    summary: "print a test page on the station's receipt printer (glase-agent doctor --print-test)",
    args: none,
    run: (c) => {
      if (!c.printTest) throw new AgentError("NOT_FOUND", "test print is not available on this station");
      return c.printTest();
    },
  }),
  command({
    name: "reprint",
    role: "admin",
    summary: "print a kept receipt again (flow id or ersReference)",
    args: z.strictObject({ ref: z.string().min(1) }),
    run: (c, a) => c.reprint(a.ref).then(() => ({ reprinted: a.ref })),
  }),
  command({
    name: "refund",
    role: "admin",
    summary: "refund a payment, whole or partly; force: one this agent has no record of",
    args: z.strictObject({ ersReference: z.string().min(1).max(64), amountMinor: z.number().int().positive(), point: point.optional(), force: z.boolean().optional() }),
    run: (c, a) => c.refund(a),
  }),
  command({
    name: "close-period",
    role: "admin",
    summary: "close the transaction period and fetch its reports (totals and lines; or reportId, a contract §5.7 id)",
    args: z.strictObject({
      scope: z.enum(["shop", "terminal"]).default("shop"),
      point: point.optional(),
      reportId: z.string().min(1).max(200).optional(),
      print: z.boolean().optional(),
    }).refine((a) => a.scope === "shop" || a.point !== undefined, { message: "point: required for scope terminal", path: ["point"] }),
    run: (c, a) => c.closePeriod(a),
  }),
  command({
    name: "resolve",
    role: "admin",
    summary: "resolve a parked flow: mark-settled | retry | cancel; a fuel sale of unknown owner (PTS_OWNERSHIP_UNKNOWN): claim (ours: charged at the controller's figures) | disown (not ours: nothing charged)",
    args: z.strictObject({ flowId: z.string().min(1), action: z.enum(["mark-settled", "retry", "cancel", "claim", "disown"]) }),
    run: (c, a) => c.resolveParked(a.flowId, a.action).then(() => ({ flowId: a.flowId, action: a.action })),
  }),
  command({
    name: "kiosk-resolve",
    role: "admin",
    summary: "settle a kiosk sale whose release result is missing or unknown: delivered (receipt) | failed (refund of the amount minus deliveredMinor)",
    args: z.strictObject({ saleId: z.string().min(1).max(100), outcome: z.enum(["delivered", "failed"]), deliveredMinor: z.number().int().min(0).optional() }),
    run: (c, a, ctx) => {
      if (a.outcome === "delivered" && a.deliveredMinor !== undefined) {
        throw new AgentError("INPUT_INVALID", "deliveredMinor: only with outcome failed (what came out of a partial delivery); delivered means the whole amount", { field: "deliveredMinor" });
      }
      if (!c.kioskResolve) throw new AgentError("NOT_FOUND", "this station has no kiosk points");
      return c.kioskResolve(a, ctx.actor);
    },
  }),
  command({
    name: "scan",
    role: "admin",
    summary: "inject a scan into the virtual scanner",
    args: z.strictObject({ text: z.string().min(1).max(512) }),
    run: (c, a) => c.injectScan(a.text).then(() => ({ injected: true })),
  }),
  command({
    name: "issue-invoice",
    role: "admin",
    summary: "Invoice Service: issue a pay-by-invoice QR code (printed when a printer is configured)",
    args: z.strictObject({
      amountMinor: z.number().int().positive(),
      description: z.string().min(1).max(200),
      reference: z.string().min(1).max(64),
      payOnce: z.boolean().default(true),
    }),
    run: (c, a) => {
      if (!c.issueInvoice) throw new AgentError("NOT_FOUND", "the Invoice Service is not configured (invoiceService in the config)");
      return c.issueInvoice(a);
    },
  }),
  command({
    name: "next-scan",
    role: "admin",
    summary: "wait for the next scan from the station's scanner (assign-id --from-scanner)",
    args: z.strictObject({ timeoutMs: z.number().int().min(1).max(600_000).default(60_000) }).prefault({}),
    run: (c, a) => c.nextScan(a.timeoutMs).then((text) => ({ text })),
  }),
  command({
    name: "debug-block-loop",
    role: "admin",
    summary: "test builds: block the event loop for ms (watchdog tests)",
    hidden: true,
    args: z.strictObject({ ms: z.number().int().min(1).max(60_000) }),
    run: (c, a) => {
      if (!c.debugBlockLoop) throw new AgentError("NOT_FOUND", "debug hooks are off (only a development run with GLASE_AGENT_TEST_HOOKS=1 has them, never the production bundle)");
      // Reply first, then block: the caller learns the block started.
      setTimeout(() => c.debugBlockLoop!(a.ms), 10);
      return { blocking: a.ms };
    },
  }),
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

export function allowedOn(role: SocketRole, spec: CommandSpec): boolean {
  return role === "admin" || spec.role === "status";
}
