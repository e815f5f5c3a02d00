// The fsync discipline on the real code paths, as the kernel saw it (strace -f): every file the
// agent writes under its state directory, receipts folder or spool file is written to a temporary
// file, fsynced, renamed into place and its directory fsynced (appends are fdatasynced); and
// `register` makes the pending-registration record durable BEFORE registerTerminal leaves.
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlClient } from "../../agent/daemon/sockets/client.ts";
import { disciplineViolations, durableAt, firstRequestWith } from "./discipline.ts";
import { BIN, eventually, Site } from "./site.ts";
import { straced } from "./strace.ts";

let site: Site;
beforeAll(async () => {
  site = await Site.open();
});
afterAll(async () => {
  await site?.close();
});

describe("fsync discipline under strace", () => {
  it("register, assign-id and unregister (agent stopped): temp → fsync → rename → fsync dir; the password is durable before registerTerminal is sent", async () => {
    const state = join(site.dir, "cli-state");
    const config = await site.config("cli", state);
    const run = (...args: string[]) => straced([process.execPath, BIN, ...args, "--config", config, "--socket-dir", join(site.dir, "no-agent"), "--json"]);

    const reg = await run("register", "--point", "2");
    expect(reg.code, reg.stderr).toBe(0);
    expect(disciplineViolations(reg.events, state)).toEqual([]);
    const pending = join(state, "terminals", "point-2.pending.json");
    const durable = durableAt(reg.events, pending);
    const sent = firstRequestWith(reg.events, "registerTerminal");
    expect(durable, "pending record fsynced into its directory").toBeDefined();
    expect(sent, "registerTerminal request seen on the socket").toBeDefined();
    expect(durable!).toBeLessThan(sent!);
    const final = join(state, "terminals", "point-2.json");
    expect(durableAt(reg.events, final)!).toBeGreaterThan(sent!);
    expect((await stat(final)).mode & 0o777).toBe(0o600);

    const assign = await run("assign-id", "--point", "2", "DUR123");
    expect(assign.code, assign.stderr).toBe(0);
    expect(disciplineViolations(assign.events, state)).toEqual([]);
    expect(JSON.parse(await readFile(final, "utf8")).seqrId).toBe("DUR123");

    const unreg = await run("unregister", "--point", "2");
    expect(unreg.code, unreg.stderr).toBe(0);
    expect(disciplineViolations(unreg.events, state)).toEqual([]);
    // unlink on x86_64, unlinkat on arm64 (which has no unlink).
    expect(unreg.events.some((e) => (e.syscall === "unlink" || e.syscall === "unlinkat") && e.args.includes(final))).toBe(true);
    // The unregister marker was durable before unregisterTerminal left.
    const marker = join(state, "terminals", "point-2.unregistering.json");
    expect(durableAt(unreg.events, marker)!).toBeLessThan(firstRequestWith(unreg.events, "unregisterTerminal")!);
  }, 120_000);

  it("the checker itself flags an in-place rewrite, O_TRUNC or not, even when it is fsynced", async () => {
    const dir = join(site.dir, "careless");
    const { mkdir, writeFile } = await import("node:fs/promises");
    await mkdir(dir);
    await writeFile(join(dir, "b.json"), "old content\n");
    const r = await straced([process.execPath, "--import", "tsx", "test/durability/fixtures/in-place-write.ts", join(dir, "a.json"), join(dir, "b.json")]);
    expect(r.code, r.stderr).toBe(0);
    const problems = disciplineViolations(r.events, dir);
    expect(problems.some((p) => p.startsWith(`${join(dir, "a.json")}: opened with O_TRUNC`))).toBe(true);
    expect(problems.some((p) => p.startsWith(`${join(dir, "b.json")}: written in place`))).toBe(true);
  }, 60_000);

  it("the virtual printer's receipts folder and the file printer", async () => {
    const receipts = join(site.dir, "receipts");
    const spool = join(site.dir, "spool");
    const { mkdir } = await import("node:fs/promises");
    await mkdir(spool);
    const r = await straced([process.execPath, "--import", "tsx", "test/durability/fixtures/print-receipts.ts", receipts, join(spool, "receipts.prn")]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.events.filter((e) => e.fdPath?.startsWith(receipts + "/") && e.syscall === "write").length).toBeGreaterThan(0);
    expect(disciplineViolations(r.events, receipts)).toEqual([]);
    expect(r.events.filter((e) => e.fdPath === join(spool, "receipts.prn") && e.syscall === "write").length).toBeGreaterThan(0);
    expect(disciplineViolations(r.events, spool)).toEqual([]);
  }, 60_000);

  it("the running daemon: register through admin.sock and a receipt on the file printer", async () => {
    const state = join(site.dir, "daemon-state");
    // The spool in a folder of its own: its creation's fsync must not stand in for the state directory's.
    await (await import("node:fs/promises")).mkdir(join(site.dir, "daemon-spool"));
    const spool = join(site.dir, "daemon-spool", "receipts.prn");
    const config = await site.config("daemon", state, { printer: { kind: "file", path: spool, width: 58 } });
    const run = site.socketDir("daemon", state);
    const r = await straced([process.execPath, BIN, "run", "--config", config], {
      timeoutMs: 120_000,
      during: async () => {
        const status = await eventually(() => ControlClient.connect(join(run, "status.sock")).catch(() => undefined), 60_000, "status.sock");
        // admin.sock is bound just after status.sock: under strace the gap is wide enough to hit.
        const admin = await eventually(() => ControlClient.connect(join(run, "admin.sock")).catch(() => undefined), 60_000, "admin.sock");
        try {
          await admin.request("register", { point: 3 });
          await site.sale(status, 1, 2_000);
          await eventually(async () => (await status.request<Array<{ printed: boolean }>>("receipts")).some((x) => x.printed), 30_000, "receipt printed");
          process.kill((await status.request<{ pid: number }>("status")).pid, "SIGTERM");
        } finally {
          status.close();
          admin.close();
        }
      },
    });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(disciplineViolations(r.events, state)).toEqual([]);
    // The checker saw the registration's writes (an empty trace would pass it too).
    const credentials = join(state, "terminals", "point-3.json");
    expect(r.events.some((e) => e.syscall === "write" && e.fdPath?.startsWith(join(state, "terminals", ".point-3.json.tmp-")))).toBe(true);
    expect(durableAt(r.events, credentials), "point-3.json placed and its directory fsynced").toBeDefined();
    expect(r.events.some((e) => e.syscall === "write" && e.fdPath === spool)).toBe(true);
    expect(disciplineViolations(r.events, join(site.dir, "daemon-spool"))).toEqual([]);
  }, 180_000);
});
