// Review 9 final-3: 62b681a names a fault's flow from its transactionId even when no flow runs, so
// device-money-alarms.ts keeps it. But the money codes are recognised by text only
// (`device-fault-OCPP_*`), whatever controller sent the fault, and the line board's protocol lets a
// board send any code of [A-Z][A-Z0-9_]{0,15} (OCPP_LATE_STOP, OCPP_METER_RESET fit) with any txid.
// A board (hostile, or a firmware bug repeating a FAULT) can therefore write kept_alarms rows for
// flows that never existed, with no payment and no running flow: each is raised again at every
// start, never evicted from the book, until a technician acks them one by one.
// Real SQLite journal, the real line-protocol parser, the real point router, the engine's real routing
// and alarm log, the daemon's real alarm book.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { createLogger } from "../../base/log.ts";
import type { DispenserController, DispenserEvent } from "../../contracts/dispenser.ts";
import { AlarmBook } from "../../agent/alarms/book.ts";
import { EngineAlarms } from "../../agent/engine/alarm-log.ts";
import { routeDispenserEvent } from "../../agent/flows/dispenser-link.ts";
import { openJournal } from "../../agent/journal/journal.ts";
import type { Journal } from "../../agent/journal/types.ts";
import { encodeNotification, parseLine } from "../../drivers/dispenser/protocol.ts";
import { PointRouter } from "../../drivers/dispenser/point-router.ts";

let dir: string;
const journals: Journal[] = [];
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), "r9n-board-"))));
afterEach(async () => {
  for (const j of journals.splice(0)) await j.close();
  rmSync(dir, { recursive: true, force: true });
});

function alarmsWith(journal: Journal, book: AlarmBook): EngineAlarms {
  return new EngineAlarms(Date.now, createLogger("r9n"), () => {}, (a) => void book.raise({ origin: "engine", code: a.code, message: a.message, at: a.at, ...(a.point !== undefined ? { point: a.point } : {}), ...(a.flowId !== undefined ? { flowId: a.flowId } : {}) }), journal);
}

it("a line board's FAULT lines carrying an OCPP money code and made-up txids, no flow running, are not kept as money alarms", async () => {
  const path = join(dir, "journal.db");
  const journal = await openJournal({ path });
  journals.push(journal);
  const book = new AlarmBook();
  const alarms = alarmsWith(journal, book);

  // A line board (pumps 1-2) behind the point router; its lines go through the real parser.
  let emit: (e: DispenserEvent) => void = () => {};
  const board = { onEvent: (l: (e: DispenserEvent) => void) => ((emit = l), () => {}) } as unknown as DispenserController;
  const router = new PointRouter([{ id: "board", points: [1, 2], dispenser: board }]);
  const writes: Promise<void>[] = [];
  router.onEvent((e) =>
    routeDispenserEvent(e, {
      customerCall: () => {},
      byTransaction: () => undefined, // no flow runs
      activeOn: () => undefined,
      orphanSale: () => {},
      running: () => [],
      deviceAlarm: (a) => void writes.push(alarms.raiseDevice(a)),
      logger: createLogger("r9n"),
    }),
  );
  for (let i = 0; i < 50; i++) {
    // What the board writes on its line (checksummed): *FAULT - OCPP_LATE_STOP X<i> <text>
    const line = encodeNotification({ type: "fault", point: null, code: "OCPP_LATE_STOP", transactionId: `X${i}`, message: `metered 999 Wh, settled 0 Wh (0)` });
    const p = parseLine(line);
    expect(p.ok).toBe(true);
    if (p.ok && p.value.kind === "notification") emit(p.value.event);
  }
  await Promise.all(writes);

  const kept = await journal.openAlarms();
  // 62b681a: 50 rows for flows X0..X49 that never existed, no payment behind any of them.
  expect.soft(kept.map((a) => a.flowId).length, "kept_alarms rows written for made-up flows").toBe(0);

  // And at the next start they all come back, none evictable (isKeptAlarm), each its own ack.
  await journal.close();
  journals.splice(0);
  const j2 = await openJournal({ path });
  journals.push(j2);
  const book2 = new AlarmBook();
  await alarmsWith(j2, book2).restore(j2);
  const back = book2.list().filter((a) => a.code === "device-fault-OCPP_LATE_STOP");
  expect.soft(back.length, "forged alarms raised again at the next start").toBe(0);
});
