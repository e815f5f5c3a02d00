// Issue 9 review #8: a wall clock corrected while the agent runs (an RTC-less board, then NTP) puts
// the journaled deadlines in a stale frame; the unit waits for time-sync.target and the engine tells
// a technician when the clocks part (at start, against the journal, and while running).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ClockWatch, clockAlarm } from "../../agent/flows/clock-watch.ts";

/** A hand-driven scheduler: now() is the agent's anchored clock, timers fire on advance(). */
function fakeScheduler(start: number) {
  let now = start;
  const timers: Array<{ at: number; fn: () => void }> = [];
  return {
    now: () => now,
    setTimer(delayMs: number, fn: () => void) {
      const t = { at: now + delayMs, fn };
      timers.push(t);
      return () => void timers.splice(timers.indexOf(t), 1);
    },
    advance(ms: number) {
      now += ms;
      for (const t of timers.filter((x) => x.at <= now)) (timers.splice(timers.indexOf(t), 1), t.fn());
    },
  };
}

describe("clock watch (review #8)", () => {
  it("no alarm while the clocks agree, within jitter", () => {
    expect(clockAlarm(1_000_000, 1_001_500)).toBeUndefined();
    expect(clockAlarm(1_000_000, 1_000_000, 999_000)).toBeUndefined();
  });

  it("a wall clock stepped away from the anchored one ⇒ clock-stepped, naming by how much", () => {
    expect(clockAlarm(1_000_000, 1_000_000 + 3_600_000)).toMatchObject({ code: "clock-stepped", message: expect.stringContaining("3600 s ahead") });
    expect(clockAlarm(1_000_000, 1_000_000 - 90_000)?.message).toContain("90 s behind");
  });

  it("at start, a wall clock behind the journal's last step (a stale boot) ⇒ clock-stepped", () => {
    expect(clockAlarm(1_000_000, 1_000_000, 1_000_000 + 86_400_000)?.message).toContain("behind the journal's last step");
  });

  it("while running: one alarm when NTP steps the wall clock, none again until the clocks agree and part anew", () => {
    const sched = fakeScheduler(5_000_000);
    let wallOffset = 0;
    const alarms: string[] = [];
    const watch = new ClockWatch(sched, () => sched.now() + wallOffset, (a) => alarms.push(a.code), 60_000);
    watch.start();
    sched.advance(60_000);
    expect(alarms).toEqual([]);
    wallOffset = 7_200_000; // NTP corrects a board that booted two hours behind
    sched.advance(60_000);
    sched.advance(60_000);
    expect(alarms).toEqual(["clock-stepped"]);
    watch.stop();
    sched.advance(600_000);
    expect(alarms).toHaveLength(1);
  });

  it("the unit starts after time-sync.target (and wants it)", () => {
    const unit = readFileSync("systemd/glase-agent.service", "utf8");
    expect(unit).toMatch(/^Wants=.*\btime-sync\.target\b/m);
    expect(unit).toMatch(/^After=.*\btime-sync\.target\b/m);
  });
});
