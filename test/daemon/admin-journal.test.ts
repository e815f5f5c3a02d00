// The admin audit trail shares the journal with the payment flows (kind `admin`, a state that is
// only `{phase}`). After a restart `ctl flows --all` is rebuilt from the journal's finished flows:
// an audit row among them must not make that list empty — a refund confirmed before a power cut
// is exactly what a technician must see before anyone asks for another.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { RefundState } from "../../agent/core/refund.ts";
import { appendAdminAction, describeActor } from "../../agent/daemon/station-history.ts";
import { recentFinishedFlows } from "../../agent/flows/recovery.ts";
import { openJournal } from "../../agent/journal/journal.ts";
import type { Journal } from "../../agent/journal/types.ts";
import type { Logger } from "../../agent/log.ts";

let dir: string;
let journal: Journal;
const warnings: string[] = [];
const log: Logger = { debug() {}, info() {}, warn: (e) => void warnings.push(e), error: (e) => void warnings.push(e), child: () => log };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-admin-journal-"));
  journal = await openJournal({ path: join(dir, "journal.sqlite") });
  warnings.length = 0;
});
afterEach(async () => {
  await journal.close();
  await rm(dir, { recursive: true, force: true });
});

const refund: RefundState = {
  kind: "refund",
  flowId: "R-1",
  phase: "finished",
  outcome: "refunded",
  calls: 2,
  attempts: 0,
  terminalId: "T1",
  point: 1,
  currency: "SEK",
  ersReference: "ERS-PAID-1",
  amountMinor: 500,
  refundReference: "ERS-REFUND-1",
};

it("admin actions after a refund: a restart still lists the refund (and the audit rows are not flows)", async () => {
  await journal.append({ flowId: refund.flowId, kind: "refund", point: 1, terminalId: "T1", at: 1_000, input: { type: "glase" }, state: refund, stateName: "finished", finished: true, parked: false, effects: [] });
  const actor = { socket: "admin.sock", peer: { uid: 0, pid: 42, gid: 0 } };
  await appendAdminAction(journal, { actionId: "a1", cmd: "refund", args: { ersReference: "ERS-PAID-1", amountMinor: 500 }, actor, phase: "requested" }, 2_000);
  await appendAdminAction(journal, { actionId: "a1", cmd: "refund", args: { ersReference: "ERS-PAID-1", amountMinor: 500 }, actor, phase: "done" }, 2_001);
  await appendAdminAction(journal, { actionId: "a2", cmd: "stop-point", args: { point: 1 }, actor, phase: "failed", error: "CONFLICT" }, 3_000);

  await journal.close();
  journal = await openJournal({ path: join(dir, "journal.sqlite") }); // the restart
  const listed = await recentFinishedFlows(journal, 100, log);
  expect(listed).toEqual([expect.objectContaining({ flowId: "R-1", kind: "refund", finished: true, outcome: "refunded", amountMinor: 500, ersReference: "ERS-REFUND-1", point: 1 })]);
  expect(warnings).toEqual([]);
});

it("many admin actions do not push the finished flows out of the listing's window", async () => {
  await journal.append({ flowId: refund.flowId, kind: "refund", point: 1, terminalId: "T1", at: 1_000, input: { type: "glase" }, state: refund, stateName: "finished", finished: true, parked: false, effects: [] });
  const actor = { socket: "admin.sock" };
  for (let i = 0; i < 30; i++) await appendAdminAction(journal, { actionId: `a${i}`, cmd: "reprint", args: { ref: "x" }, actor, phase: "done" }, 2_000 + i);
  expect((await recentFinishedFlows(journal, 10, log)).map((f) => f.flowId)).toEqual(["R-1"]);
});

it("a row whose state cannot be summarised costs that row only, with a warning", async () => {
  await journal.append({ flowId: refund.flowId, kind: "refund", point: 1, terminalId: "T1", at: 1_000, input: { type: "glase" }, state: refund, stateName: "finished", finished: true, parked: false, effects: [] });
  await journal.append({ flowId: "P-odd", kind: "pos", at: 2_000, input: {}, state: { phase: "finished" }, stateName: "finished", finished: true, parked: false, effects: [] });
  expect((await recentFinishedFlows(journal, 100, log)).map((f) => f.flowId)).toEqual(["R-1"]);
  expect(warnings).toEqual(["recent_flow_unreadable"]);
});

it("the audit line says which parts the kernel vouches for and which the client merely claims", () => {
  expect(describeActor({ socket: "admin.sock", peer: { uid: 0, pid: 42, gid: 0 }, claimed: { user: "root", sudoUser: "alice" } })).toBe("uid 0 pid 42 (user root, sudo from alice) on admin.sock");
  expect(describeActor({ socket: "admin.sock", claimed: { user: "root", uid: 0, pid: 42 } })).toBe("claimed (unverified) user root, uid 0, pid 42 on admin.sock");
  expect(describeActor({ socket: "admin.sock" })).toBe("unknown client on admin.sock");
});
