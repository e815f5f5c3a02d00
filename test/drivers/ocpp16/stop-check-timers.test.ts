// A session that ended leaves no timer of its own behind. The stop check (two TriggerMessage
// readings a quarter and a half of stopTimeoutS after the RemoteStop's answer, session-ending.ts)
// once ran on bare scheduler timers that neither the session's end nor the driver's close()
// cancelled: with the shipped stopTimeoutS (60 s) they held Node's event loop 30 s after the
// daemon had stopped — `npm start`'s Ctrl-C took 30.1 s, and a systemd stop as long. Counted, not
// timed: a scheduler that knows which of its timers are still pending.
import { expect, it } from "vitest";
import type { Scheduler } from "../../../agent/core/clock.ts";
import { systemScheduler } from "../../../drivers/dispenser/line-driver.ts";
import { isEnd, openRig, pluggedAndAuthorized, isProgress, testConfig } from "./helpers.ts";

/** The system's timers, each remembered from when it is set until it fires or is cancelled. */
function countingScheduler(): Scheduler & { pending(): number } {
  const live = new Set<object>();
  return {
    now: () => systemScheduler.now(),
    setTimer(delayMs, fn) {
      const token = {};
      live.add(token);
      const cancel = systemScheduler.setTimer(delayMs, () => (live.delete(token), fn()));
      return () => (live.delete(token), cancel());
    },
    pending: () => live.size,
  };
}

it("a session stopped by the agent and ended by the charger leaves no stop-check timer pending: close() leaves none at all", async () => {
  const scheduler = countingScheduler();
  const rig = await openRig(testConfig({ stopTimeoutS: 60, lateStopWaitS: 60 }), { scheduler });
  const cp = await rig.chargePoint();
  await pluggedAndAuthorized(rig, cp);
  await rig.events.waitFor((e) => isProgress(e) && e.milli > 0);
  await rig.driver.stop(1); // RemoteStop answered Accepted, then StopTransaction: the session ends
  expect(rig.events.events.find(isEnd)).toMatchObject({ reason: "stopped" });
  await cp.close();
  await rig.driver.close();
  expect(scheduler.pending()).toBe(0);
});
