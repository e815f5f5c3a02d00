// Review 13c C2a (MEDIUM): a charger's money alarm was written to the journal on its own, after the
// driver's durable settlement — a crash between the two (`before:alarms:`) lost it: the restarted
// engine settled from the finished SaleRecord, and the driver never raised the alarm again (its
// record had no alarm, resume() looked only at open sessions). OCPP_STOP_MISSING / STOP_IGNORED /
// METER_DISAGREES were the only record of a possible refund. Now the alarm is written with the
// sale, raised again at every start (replayAlarms, called by the engine once it listens), kept
// once, and not brought back once acknowledged.
// Real OCPP driver over a loopback WebSocket (hand charger), real SQLite journal, the engine's
// routing and alarm log.
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
import { charging, GatedStore } from "./gated-store.ts";

let dir: string | undefined;
let journal: Journal | undefined;
afterEach(async () => {
  await journal?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = journal = undefined;
});

/** The engine's side once it listens: faults routed, money alarms kept; `replay` is what engine.start() calls. */
function engineOn(driver: DispenserController, j: Journal, told: AlarmInfo[]): () => Promise<void> {
  const alarms = new EngineAlarms(() => 1_000, createLogger("r13c"), () => undefined, (a) => told.push(a), j);
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
      logger: createLogger("r13c"),
    }),
  );
  return async () => {
    driver.replayAlarms?.();
    await Promise.all(writes.splice(0));
  };
}

it("a charger's money alarm lost to a crash before the journal kept it is raised again at start, kept once, and not after its ack", async () => {
  dir = mkdtempSync(join(tmpdir(), "r13c-c2a-"));
  journal = await openJournal({ path: join(dir, "journal.db") });
  const { rig, cp } = await charging(new GatedStore());
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Finishing" }); // no StopTransaction comes
  await rig.events.waitFor(isEnd, 5_000); // settled as stop-missing, durable — and the agent dies before the journal keeps its alarm
  cp.close();
  const rig2 = await rig.restart();
  const told: AlarmInfo[] = [];
  const replay = engineOn(rig2.driver, journal, told);
  await replay(); // fails before: the driver has no such alarm to raise again
  expect((await journal.openAlarms()).map((a) => ({ flowId: a.flowId, code: a.code }))).toEqual([{ flowId: "P1-flow-1", code: "device-fault-OCPP_STOP_MISSING" }]);
  await replay(); // the next start: not kept twice
  const open = await journal.openAlarms();
  expect(open).toHaveLength(1);
  await journal.ackAlarms(open[0]!.flowId, open[0]!.code, open[0]!.message, 2_000); // ctl ack
  told.length = 0;
  await replay();
  expect(await journal.openAlarms()).toEqual([]);
  expect(told).toEqual([]); // not brought back
}, 20_000);
