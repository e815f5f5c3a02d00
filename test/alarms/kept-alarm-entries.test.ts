// Review 8 #2 (issue 9): two money alarms of one flow and code (a watch telling two payments) are
// two book entries, each acknowledged on its own — in the book and in the journal's kept rows.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { AlarmBook } from "../../agent/alarms/book.ts";
import { recordOf } from "../../agent/flows/runner.ts";
import { openJournal } from "../../agent/journal/journal.ts";
import { startSendWatch } from "../../agent/core/send-watch.ts";
import type { FlowState } from "../../agent/core/transition.ts";
import { ctxAt } from "../core/helpers.ts";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const A = "terminal T7: … paid (E-A, 9.90 SEK); nothing was released for it — refund it: ctl refund E-A 9.90";
const C = "terminal T7: … paid (E-C, 4.50 SEK); nothing was released for it — refund it: ctl refund E-C 4.50";

it("each kept alarm of one flow and code is its own entry; acking one leaves the other open", () => {
  const book = new AlarmBook(() => 1000);
  const a = book.raise({ origin: "engine", code: "paid-unclaimed", flowId: "WK7-A", message: A });
  const c = book.raise({ origin: "engine", code: "paid-unclaimed", flowId: "WK7-A", message: C });
  expect(a.id).not.toBe(c.id);
  book.raise({ origin: "engine", code: "paid-unclaimed", flowId: "WK7-A", message: C }); // restored again (engine swap): a repeat
  expect(book.list().map((x) => [x.message, x.count])).toEqual([[A, 1], [C, 2]]);
  book.ack(c.id);
  expect(book.list().map((x) => x.message)).toEqual([A]);
});

it("the journal acks only the acknowledged alarm's rows", async () => {
  dir = mkdtempSync(join(tmpdir(), "kept-entries-"));
  const journal = await openJournal({ path: join(dir, "journal.db") });
  const w = startSendWatch({ flowId: "WK7-A", terminalId: "T7", currency: "SEK", stationName: "S", lost: [], busy: false, claimed: [] }, ctxAt(0)).state as FlowState;
  await journal.append(recordOf(w, { type: "start" }, [{ type: "alarm", code: "paid-unclaimed", message: A }, { type: "alarm", code: "paid-unclaimed", message: C }], 1000));
  await journal.ackAlarms("WK7-A", "paid-unclaimed", C, 2000);
  const open = (await journal.openAlarms()).map((x) => x.message);
  await journal.close();
  expect(open).toEqual([A]);
});
