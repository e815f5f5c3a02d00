// Review 3 #5: a wall-clock step within one boot (NTP's first sync on a kiosk without RTC, an operator's
// `date -s`) shifts bootedAt() = Date.now() - uptime; a record written before the step then "proves"
// an earlier boot and isAlive() says dead, even for a live process whose /proc entry is visible.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { uptime } from "node:os";
import { afterEach, expect, it, vi } from "vitest";
import { bootedAt, isAlive } from "../../agent/process-identity.ts";

afterEach(() => vi.restoreAllMocks());

it("a live writer recorded before a 5-minute clock step is still alive (review 3 #5)", async () => {
  const child = spawn("sleep", ["30"]);
  await new Promise((r) => child.once("spawn", r));
  const ticks = Number(readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1]!.split(" ")[19]);
  // The daemon's own records under ProcSubset=pid carry no boot id (it cannot read it).
  const who = { pid: child.pid!, startTicks: ticks, bootedAt: bootedAt() };
  expect(isAlive(who)).toBe(true);
  const real = Date.now;
  vi.spyOn(Date, "now").mockImplementation(() => real() + 5 * 60_000); // NTP steps the clock forward
  const after = isAlive(who);
  child.kill();
  expect(after, "same boot, same pid, same start ticks, process running").toBe(true);
});

it("a record with more uptime than this boot has is of an earlier boot, whatever the wall clock says", () => {
  // Our own pid, visible, same start ticks and a matching bootedAt: only the uptime gives it away.
  const me = { pid: process.pid, startTicks: Number(readFileSync(`/proc/${process.pid}/stat`, "utf8").split(") ")[1]!.split(" ")[19]), bootedAt: bootedAt() };
  expect(isAlive(me)).toBe(true);
  expect(isAlive({ ...me, uptimeMs: Math.floor(uptime() * 1000) + 3_600_000 })).toBe(false);
});
