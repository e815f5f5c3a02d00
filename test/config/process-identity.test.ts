// isAlive() as the daemon sees it under the shipped unit's ProcSubset=pid + ProtectProc=invisible
// (review 2 #3): no /proc/sys (no boot id), other users' /proc/<pid> hidden, kill(pid, 0) EPERM.
// A pending record from an earlier boot whose pid is now a root process used to count as alive,
// so the point stayed "in progress" for ever. Emulated for real: a private mount namespace with
// `mount -t proc -o subset=pid,hidepid=invisible`, the probe running as uid 65534.
import { execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { bootedAt, currentProcess, type ProcessIdentity } from "../../agent/process-identity.ts";

const exec = promisify(execFile);
const probe = join(import.meta.dirname, "..", "support", "identity-probe.mts");
const DAY = 86_400_000;

async function goneProcessPid(): Promise<number> {
  const c = spawn("true");
  await new Promise((r) => c.once("exit", r));
  return c.pid!;
}

async function records(): Promise<Record<string, ProcessIdentity>> {
  const me = currentProcess(); // a root process of this boot, alive for the whole test
  return {
    // The reviewer's record: an earlier boot's writer whose pid (1) is now root's.
    earlierBootById: { pid: 1, boot: "11111111-2222-3333-4444-555555555555", startTicks: 987654 },
    earlierBootByClock: { pid: 1, startTicks: 987654, bootedAt: bootedAt() - 10 * DAY },
    pidOnly: { pid: 1 },
    liveRoot: me,
    liveRootWithoutBootId: { pid: me.pid, ...(me.startTicks !== undefined ? { startTicks: me.startTicks } : {}), bootedAt: me.bootedAt! },
    gone: { pid: await goneProcessPid(), bootedAt: bootedAt() },
  };
}

async function run(restricted: boolean, recs: Record<string, ProcessIdentity>) {
  const node = [process.execPath, "--import", "tsx", probe, JSON.stringify(recs)].map((a) => `'${a}'`).join(" ");
  const asNobody = `exec setpriv --reuid 65534 --regid 65534 --clear-groups ${node}`;
  const script = restricted ? `mount -t proc -o subset=pid,hidepid=invisible proc /proc && ${asNobody}` : asNobody;
  const { stdout } = await exec("unshare", ["-m", "--propagation", "private", "sh", "-c", script], { cwd: process.cwd() });
  return JSON.parse(stdout) as { bootReadable: boolean; alive: Record<string, boolean> };
}

describe.skipIf(process.getuid?.() !== 0)("isAlive under ProcSubset=pid + ProtectProc=invisible", () => {
  it("an earlier boot's record is not alive, this boot's live root process is", async () => {
    const recs = await records();
    const restricted = await run(true, recs);
    expect(restricted.bootReadable, "the emulation hides /proc/sys").toBe(false);
    expect(restricted.alive).toEqual({ earlierBootById: false, earlierBootByClock: false, pidOnly: false, liveRoot: true, liveRootWithoutBootId: true, gone: false });
  });

  it("the same answers with a plain /proc", async () => {
    const recs = await records();
    const plain = await run(false, recs);
    expect(plain.bootReadable).toBe(true);
    // pidOnly: /proc shows pid 1 and a record without start ticks cannot tell it from its writer.
    expect(plain.alive).toEqual({ earlierBootById: false, earlierBootByClock: false, pidOnly: true, liveRoot: true, liveRootWithoutBootId: true, gone: false });
  });
});
