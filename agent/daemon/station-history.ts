// The technician's views of what happened, read straight from the journal and paged (PageQuery):
// journal transitions — with the admin audit trail written by `recordAdminAction` among them —
// receipts and flows. A listing that grows with every sale is never sent whole: a client asks
// for the newest `n`, narrows with `since`, and pages back with the `cursor` of an item.
import { AgentError } from "../../base/errors.ts";
import type { FlowSummary, JournalEntry, StoredReceipt } from "../engine-api.ts";
import { journalEntry } from "../flows/snapshot.ts";
import type { Journal, ReceiptPage, StepRecord } from "../journal/types.ts";
import type { ReceiptContent } from "../../contracts/printer.ts";
import type { AdminAction, PageQuery } from "./sockets/control.ts";

/** Journal kind of the admin audit lines. */
export const ADMIN_KIND = "admin";

interface AdminInput extends Omit<AdminAction, "phase"> {
  readonly type: "admin";
}

function isAdminInput(input: unknown): input is AdminInput {
  return typeof input === "object" && input !== null && (input as { type?: unknown }).type === "admin";
}

/**
 * `uid 0 pid 4242 (user root, sudo from alice)`: the kernel's credentials first, the client's
 * claims after; without the kernel's (native/peer-credentials not built) every part is the
 * client's word: `claimed (unverified) user root, uid 0, pid 4242`.
 */
export function describeActor(a: AdminAction["actor"]): string {
  const parts: string[] = [];
  if (a.peer) parts.push(`uid ${a.peer.uid} pid ${a.peer.pid}`);
  const c = a.claimed;
  if (c) {
    const claims = [c.user !== undefined ? `user ${c.user}` : "", c.sudoUser !== undefined ? `sudo from ${c.sudoUser}` : "", !a.peer && c.uid !== undefined ? `uid ${c.uid}` : "", !a.peer && c.pid !== undefined ? `pid ${c.pid}` : ""].filter(Boolean);
    if (claims.length) parts.push(a.peer ? `(${claims.join(", ")})` : `claimed (unverified) ${claims.join(", ")}`);
  }
  if (parts.length === 0) parts.push("unknown client");
  return `${parts.join(" ")} on ${a.socket}`;
}

function argsText(args: unknown): string {
  if (typeof args !== "object" || args === null) return "";
  return Object.entries(args as Record<string, unknown>)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
}

function entryOf(s: StepRecord): JournalEntry {
  if (!isAdminInput(s.input)) return journalEntry(s);
  const i = s.input;
  const args = argsText(i.args);
  return { seq: s.seq, at: s.at, flowId: s.flowId, input: `admin ${i.cmd}${args ? ` ${args}` : ""} by ${describeActor(i.actor)}`, state: s.stateName, effects: [] };
}

export async function journalPage(journal: Journal, n: number, page: Omit<PageQuery, "n"> = {}): Promise<readonly JournalEntry[]> {
  const beforeSeq = page.cursor !== undefined ? Number(page.cursor) : undefined;
  const steps = await journal.tail(n, { ...(page.since !== undefined ? { sinceAt: page.since } : {}), ...(beforeSeq !== undefined ? { beforeSeq } : {}) });
  return steps.map(entryOf);
}

/** The audit line: one journal step per phase of an admin action, finished (never a flow to recover). */
export function appendAdminAction(journal: Journal, action: AdminAction, at: number): Promise<number> {
  const { phase, error, ...rest } = action;
  const input: AdminInput = { type: "admin", ...rest };
  return journal.append({
    flowId: `ADM-${action.actionId}`,
    kind: ADMIN_KIND,
    at,
    input,
    state: { phase, ...(error !== undefined ? { error } : {}) },
    stateName: phase === "failed" ? `admin-failed ${error ?? ""}`.trim() : `admin-${phase}`,
    finished: true,
    parked: false,
    effects: [],
  });
}

/** `at:flowId` of a receipt, the cursor of the page after it. */
export function receiptCursor(r: { readonly at: number; readonly flowId: string }): string {
  return `${r.at}:${r.flowId}`;
}

function parseReceiptCursor(cursor: string): { at: number; flowId: string } {
  const m = /^(\d{1,15}):(.+)$/.exec(cursor);
  if (!m) throw new AgentError("INPUT_INVALID", `cursor: expected AT:FLOW_ID (the at and flowId of a receipt), got ${JSON.stringify(cursor.slice(0, 40))}`);
  return { at: Number(m[1]), flowId: m[2]! };
}

export async function receiptPage(journal: Journal, page: PageQuery): Promise<readonly StoredReceipt[]> {
  const q: ReceiptPage = {
    limit: page.n,
    ...(page.since !== undefined ? { sinceAt: page.since } : {}),
    ...(page.cursor !== undefined ? { before: parseReceiptCursor(page.cursor) } : {}),
  };
  return (await journal.receipts(q)).map((r) => ({ ...r, content: r.content as ReceiptContent }));
}

/** Newest first; the cursor is the flowId of the last flow of the previous page. */
export function flowsPage(flows: readonly FlowSummary[], page: Partial<PageQuery>): readonly FlowSummary[] {
  let list = [...flows].sort((a, b) => b.updatedAt - a.updatedAt || (a.flowId < b.flowId ? 1 : -1));
  if (page.since !== undefined) list = list.filter((f) => f.updatedAt >= page.since!);
  if (page.cursor !== undefined) {
    const i = list.findIndex((f) => f.flowId === page.cursor);
    if (i < 0) throw new AgentError("NOT_FOUND", `cursor: no flow ${JSON.stringify(page.cursor.slice(0, 40))} in the listing (it may have aged out); start again without --cursor`);
    list = list.slice(i + 1);
  }
  return list.slice(0, page.n ?? list.length);
}
