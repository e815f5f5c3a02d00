// Review 13b R13b-4 (issue 12): a device's alarm that tells a technician to move money for a flow —
// OCPP_RATING_UNSET (a bill up to the reservation the agent cannot check: refund what the charger
// did not deliver), OCPP_METER_DISAGREES, OCPP_STOP_IGNORED, … — lived in memory only: a restart
// before the technician's visit lost the only record of it. Now it is kept in the journal (a real
// SQLite file here) and raised again at start until acknowledged; a device alarm that moves no
// money, or names no flow, is not kept.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { createLogger } from "../../base/log.ts";
import { EngineAlarms } from "../../agent/engine/alarm-log.ts";
import { openJournal } from "../../agent/journal/journal.ts";
import type { Journal } from "../../agent/journal/types.ts";
import type { AlarmInfo } from "../../agent/engine-api.ts";

let dir: string | undefined;
let journal: Journal | undefined;
afterEach(async () => {
  await journal?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = journal = undefined;
});

const alarmsOn = (j: Journal, told: AlarmInfo[]) => new EngineAlarms(() => 1_000, createLogger("test.alarms"), () => undefined, (a) => told.push(a), j);

it("a device's money alarm for a flow is raised again after a restart, until acknowledged; others are not kept", async () => {
  dir = mkdtempSync(join(tmpdir(), "r13b4-"));
  const path = join(dir, "journal.db");
  journal = await openJournal({ path });
  const told: AlarmInfo[] = [];
  const alarms = alarmsOn(journal, told);
  const money = { point: 1, flowId: "P1-flow", code: "device-fault-OCPP_RATING_UNSET", message: "charger CP-1 transaction 7: meterStop … settled as metered — refund what it did not deliver" };
  await alarms.raiseDevice(money);
  await alarms.raiseDevice({ point: 1, flowId: "P1-flow", code: "device-fault-OCPP_NO_REGISTER", message: "no register" });
  await alarms.raiseDevice({ point: 1, code: "device-fault-OCPP_STOP_IGNORED", message: "no flow named" });
  expect(told.map((a) => a.code)).toEqual(["device-fault-OCPP_RATING_UNSET", "device-fault-OCPP_NO_REGISTER", "device-fault-OCPP_STOP_IGNORED"]); // all shown at once
  await journal.close();
  // The agent restarts.
  journal = await openJournal({ path });
  const again: AlarmInfo[] = [];
  await alarmsOn(journal, again).restore(journal);
  expect(again.map(({ flowId, code, message, point }) => ({ flowId, code, message, point }))).toEqual([money]);
  // `ctl ack` of it: no longer raised at start.
  await journal.ackAlarms(money.flowId, money.code, money.message, 2_000);
  const after: AlarmInfo[] = [];
  await alarmsOn(journal, after).restore(journal);
  expect(after).toEqual([]);
});
