// Review 13d D1 (MEDIUM): an acknowledged charger money alarm comes back, kept again as new, at the
// first start after journal compaction removed its acknowledged row.
// 603f3f1 stores the alarm in the driver's sale record and replays every finished sale's alarms
// at every start (replayAlarms → heldAlarms: all finished sales the book holds, by count only,
// saleRecordCapacity = 1000). raiseDeviceAlarm does not keep one again if keptAlarmSeen() finds a
// row with the same flow, code and text, acknowledged or not. But compaction
// (compactKeptAlarms) deletes acknowledged rows older than retentionDays (90 by default). The
// driver keeps the sale far longer: at a charger with a few sessions a day, 1000 sales are months to
// years. After 90 days the ack row is gone, keptAlarmSeen is false, and the next restart raises
// OCPP_STOP_MISSING / STOP_IGNORED / LATE_STOP again as a new open kept alarm with a new time.
// The technician already refunded or collected the difference once. A second "settled as an overrun:
// refund" alarm invites a second refund.
// Sequence: stop-missing end → alarm kept (live) → ctl ack → 90 days → compaction → restart → replay.
// Real OCPP driver over a loopback WebSocket (hand charger), real SQLite journal, engine routing/alarm log.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { createLogger } from "../../base/log.ts";
import { EngineAlarms } from "../../agent/engine/alarm-log.ts";
import { routeDispenserEvent } from "../../agent/flows/dispenser-link.ts";
import { openJournal } from "../../agent/journal/journal.ts";
import type { Journal } from "../../agent/journal/types.ts";
import type { AlarmInfo } from "../../agent/engine-api.ts";
import type { DispenserController } from "../../contracts/dispenser.ts";
import { isEnd } from "../drivers/ocpp16/helpers.ts";
import { charging, GatedStore } from "../review13c/gated-store.ts";

let dir: string | undefined;
let journal: Journal | undefined;
afterEach(async () => {
  await journal?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = journal = undefined;
});

function engineOn(driver: DispenserController, j: Journal, told: AlarmInfo[], now: () => number): { replay: () => Promise<void>; drain: () => Promise<void> } {
  const alarms = new EngineAlarms(now, createLogger("r13d"), () => undefined, (a) => told.push(a), j);
  const writes: Promise<void>[] = [];
  driver.onEvent((e) =>
    routeDispenserEvent(e, {
      customerCall: () => {},
      byTransaction: () => undefined,
      activeOn: () => undefined,
      orphanSale: () => {},
      running: () => [],
      finishedFlow: () => false,
      deviceAlarm: (a) => void writes.push(alarms.raiseDevice(a)),
      logger: createLogger("r13d"),
    }),
  );
  const drain = async () => void (await Promise.all(writes.splice(0)));
  // As engine.start does: alarms raised within the retention (older acknowledged rows may be compacted).
  return { drain, replay: async () => (driver.replayAlarms?.(now() - 90 * DAY), await drain()) };
}

const DAY = 86_400_000;

it("an acknowledged charger money alarm is not kept again once compaction removed its acknowledged row", async () => {
  dir = mkdtempSync(join(tmpdir(), "r13d-d1-"));
  journal = await openJournal({ path: join(dir, "journal.db") });
  let clock = Date.now(); // the engine's clock is the driver's (one scheduler in the daemon)
  const told: AlarmInfo[] = [];
  const { rig, cp } = await charging(new GatedStore());
  const live = engineOn(rig.driver, journal, told, () => clock);
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Finishing" }); // no StopTransaction comes
  await rig.events.waitFor(isEnd, 5_000); // settled as stop-missing; the alarm raised live and kept
  await new Promise((r) => setTimeout(r, 100));
  await live.drain();
  const open = await journal.openAlarms();
  expect(open.map((a) => a.code)).toEqual(["device-fault-OCPP_STOP_MISSING"]);
  await journal.ackAlarms(open[0]!.flowId, open[0]!.code, open[0]!.message, clock); // ctl ack: the technician dealt with it
  clock += 91 * DAY;
  await journal.compact(clock - 90 * DAY); // retentionDays 90: the engine's periodic compaction
  cp.close();
  const rig2 = await rig.restart(); // any later restart (update, power cut); the sale is still in the driver's book
  told.length = 0;
  await engineOn(rig2.driver, journal, told, () => clock).replay();
  expect(told.map((a) => a.code)).toEqual([]); // fails: device-fault-OCPP_STOP_MISSING raised again
  expect(await journal.openAlarms()).toEqual([]); // fails: kept again as a new open alarm
}, 20_000);
