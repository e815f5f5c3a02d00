import { MIGRATIONS } from "../../agent/journal/schema.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sqlite3 from "sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openJournal } from "../../agent/journal/journal.ts";
import type { TransitionRecord } from "../../agent/journal/types.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "journal-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const rec = (flowId: string, stateName: string, at: number, finished = false): TransitionRecord => ({
  flowId,
  kind: "preliminary",
  point: 1,
  terminalId: "T1",
  at,
  input: { type: "timer", name: "poll" },
  state: { phase: stateName, n: at },
  stateName,
  finished,
  parked: false,
  effects: [{ type: "glase", ref: `${flowId}-${at}` }],
});

function pragma(path: string, name: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, sqlite3.OPEN_READONLY, (e) => {
      if (e) return reject(e);
      db.get(`PRAGMA ${name}`, (err, row) => {
        db.close();
        err ? reject(err) : resolve(Object.values(row as object)[0]);
      });
    });
  });
}

describe("journal", () => {
  it("keeps the latest snapshot and pending intents per flow, and the full step log", async () => {
    const path = join(dir, "j.db");
    const j = await openJournal({ path });
    await j.append(rec("a", "sending-invoice", 1));
    await j.append(rec("a", "awaiting-reservation", 2));
    await j.append(rec("b", "sending-invoice", 3));
    await j.append(rec("b", "finished", 4, true));
    const open = await j.unfinishedFlows();
    expect(open.map((f) => [f.flowId, f.stateName, f.createdAt, f.updatedAt])).toEqual([["a", "awaiting-reservation", 1, 2]]);
    expect(open[0]!.pendingEffects).toEqual([{ type: "glase", ref: "a-2" }]);
    expect((await j.tail(10)).map((s) => s.stateName)).toEqual(["sending-invoice", "awaiting-reservation", "sending-invoice", "finished"]);
    await j.close();
    expect(await pragma(path, "journal_mode")).toBe("wal");
    expect(await pragma(path, "user_version")).toBe(MIGRATIONS.length);
  });

  it("survives reopen (migrations are idempotent) and calls the write-boundary hook around each write", async () => {
    const path = join(dir, "j.db");
    const labels: string[] = [];
    let j = await openJournal({ path, onWriteBoundary: (l) => labels.push(l) });
    await j.append(rec("a", "s1", 1));
    await j.close();
    j = await openJournal({ path });
    expect((await j.flow("a"))?.stateName).toBe("s1");
    await j.close();
    expect(labels).toEqual(["before:a:s1", "after:a:s1"]);
  });

  it("compacts finished flows older than the retention; unfinished ones stay", async () => {
    const j = await openJournal({ path: join(dir, "j.db") });
    await j.append(rec("old", "finished", 10, true));
    await j.saveReceipt({ flowId: "old", ersReference: "E", content: {}, printed: true, at: 10 });
    await j.append(rec("open", "delivering", 11));
    await j.append(rec("new", "finished", 1000, true));
    expect(await j.compact(500)).toBe(1);
    expect(await j.flow("old")).toBeUndefined();
    expect((await j.tail(10)).map((s) => s.flowId)).toEqual(["open", "new"]);
    expect(await j.receipts()).toEqual([]);
    expect((await j.unfinishedFlows()).map((f) => f.flowId)).toEqual(["open"]);
    await j.close();
  });

  it("refuses a journal written by a newer agent with a clear error", async () => {
    const path = join(dir, "j.db");
    await (await openJournal({ path })).close();
    await new Promise<void>((resolve, reject) => {
      const db = new sqlite3.Database(path, (e) => (e ? reject(e) : db.exec("PRAGMA user_version=99", () => db.close(() => resolve()))));
    });
    await expect(openJournal({ path })).rejects.toMatchObject({ code: "JOURNAL_FAILED" });
  });
});

describe("journal durability while compacting", () => {
  /** A second connection installs a trigger that makes compaction fail at its last delete (as a full disk would). */
  function failReceiptDeletes(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const db = new sqlite3.Database(path, (e) => {
        if (e) return reject(e);
        db.exec("CREATE TRIGGER fail_compaction BEFORE DELETE ON receipts BEGIN SELECT RAISE(ABORT, 'disk full'); END;", (err) =>
          db.close(() => (err ? reject(err) : resolve())),
        );
      });
    });
  }

  it("an append made while compaction runs is durable when it resolves, even if the compaction rolls back", async () => {
    const path = join(dir, "j.db");
    const j = await openJournal({ path });
    for (let i = 0; i < 400; i++) {
      await j.append(rec(`old${i}`, "finished", i, true));
      await j.saveReceipt({ flowId: `old${i}`, ersReference: `E${i}`, content: {}, printed: true, at: i });
    }
    await failReceiptDeletes(path);
    const compaction = j.compact(10_000).then(
      () => "compacted",
      () => "rolled back",
    );
    let done = false;
    void compaction.then(() => (done = true));
    const appended: string[] = [];
    for (let i = 0; !done || i < 5; i++) {
      await j.append(rec(`live${i}`, "delivering", 20_000 + i));
      appended.push(`live${i}`);
    }
    expect(await compaction).toBe("rolled back");
    await j.close();
    const reopened = await openJournal({ path });
    const open = (await reopened.unfinishedFlows()).map((f) => f.flowId);
    await reopened.close();
    expect(open.filter((id) => !appended.includes(id))).toEqual([]);
    expect(appended.filter((id) => !open.includes(id))).toEqual([]);
  });
});

describe("recent finished flows after a restart", () => {
  it("lists the payment flows beside the admin audit lines kept in the same journal (a refund confirmed before a restart is still shown)", async () => {
    const { recentFinishedFlows } = await import("../../agent/flows/recovery.ts");
    const { appendAdminAction } = await import("../../agent/daemon/station-history.ts");
    const j = await openJournal({ path: join(dir, "j.db") });
    await j.append({ ...rec("R1", "finished", 10, true), kind: "refund", state: { kind: "refund", flowId: "R1", phase: "finished", outcome: "refunded", amountMinor: 500, terminalId: "T1", calls: 1, attempts: 0, currency: "SEK", ersReference: "E" } });
    await appendAdminAction(j, { actionId: "a1", phase: "done", cmd: "refund", args: {}, actor: { socket: "admin.sock" } }, 11);
    const warned: unknown[] = [];
    const logger = { debug: () => undefined, info: () => undefined, warn: (...a: unknown[]) => void warned.push(a), error: () => undefined, child: () => logger };
    const flows = await recentFinishedFlows(j, 200, logger);
    expect(flows.map((f) => [f.flowId, f.kind, f.outcome])).toEqual([["R1", "refund", "refunded"]]);
    expect(warned).toEqual([]);
    await j.close();
  });
});
