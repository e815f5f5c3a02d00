// The durable-file helper's own contract (its fsync order is witnessed by strace in
// fsync-discipline.test.ts): exact modes whatever the umask, no write through planted files,
// a failed write leaves the old content and no temporary, leftovers of dead writers are removed,
// creating never replaces, reading never follows a planted link, and a directory created for
// another owner is given away through its descriptor, never by path.
import { spawnSync } from "node:child_process";
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAgentError } from "../../agent/errors.ts";
import { appendFileDurably, ensureDirectory, readRegularFile, removeFileDurably, removeStaleTemporaries, writeFileDurably } from "../../agent/durable-file.ts";
import { readSecretFile } from "../../agent/config/secrets.ts";
import { pathArgs } from "./discipline.ts";
import { straced } from "./strace.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-durable-file-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("durable files", () => {
  it("writes 0600 by default and the asked modes exactly under the unit's UMask=0077, directories included", async () => {
    const old = process.umask(0o077);
    try {
      const secret = join(dir, "a", "b", "secret.json");
      await writeFileDurably(secret, "s3cret");
      expect((await stat(secret)).mode & 0o777).toBe(0o600);
      expect((await stat(join(dir, "a"))).mode & 0o777).toBe(0o700);
      // A receipts folder others may read (the virtual printer's): 0644 files in a 0755 directory.
      const receipt = join(dir, "receipts", "day", "receipt.txt");
      await writeFileDurably(receipt, "r", { mode: 0o644, dirMode: 0o755 });
      expect((await stat(receipt)).mode & 0o777).toBe(0o644);
      expect((await stat(join(dir, "receipts"))).mode & 0o777).toBe(0o755);
      expect((await stat(join(dir, "receipts", "day"))).mode & 0o777).toBe(0o755);
    } finally {
      process.umask(old);
    }
  });

  it("uses an existing directory reached through a symbolic link (a state directory linked to the data partition)", async () => {
    const real = join(dir, "data-partition", "glase-agent");
    await mkdir(real, { recursive: true });
    const state = join(dir, "state-link");
    await symlink(real, state);
    await ensureDirectory(state);
    await writeFileDurably(join(state, "terminals", "point-1.json"), "{}");
    expect(await readFile(join(real, "terminals", "point-1.json"), "utf8")).toBe("{}");
    expect((await lstat(state)).isSymbolicLink()).toBe(true);
  });

  it("replace: false creates and never replaces: CONFLICT (EEXIST), the existing content kept, no temporary left", async () => {
    const f = join(dir, "once.json");
    await writeFileDurably(f, "first", { replace: false });
    await expect(writeFileDurably(f, "second", { replace: false })).rejects.toSatisfy((e) => isAgentError(e, "CONFLICT") && e.context.errno === "EEXIST");
    expect(await readFile(f, "utf8")).toBe("first");
    expect((await readdir(dir)).filter((n) => n.includes(".tmp-"))).toEqual([]);
  });

  it("reads regular files only: a planted link, a FIFO or a directory is refused (without blocking), a link is followed only when asked", async () => {
    const victim = join(dir, "root-only");
    await writeFile(victim, "root secret", { mode: 0o600 });
    const link = join(dir, "planted.json");
    await symlink(victim, link);
    await expect(readRegularFile(link)).rejects.toThrow(/symbolic link/);
    await expect(readSecretFile(link, "terminal credentials file")).rejects.toThrow(/planted\.json: is a symbolic link/);
    expect(await readSecretFile(link, "reseller password file", { followSymlinks: true })).toBe("root secret");
    const fifo = join(dir, "fifo.json");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    await expect(readRegularFile(fifo)).rejects.toThrow(/not a regular file/);
    await expect(readRegularFile(dir)).rejects.toThrow(/not a regular file/);
    await writeFile(join(dir, "wide"), "x", { mode: 0o640 });
    await chmod(join(dir, "wide"), 0o640);
    await expect(readSecretFile(join(dir, "wide"))).rejects.toThrow(/mode 0640.*chmod 600/);
  });

  it.skipIf(process.getuid?.() !== 0)("a directory made for another owner is given away by descriptor: swapped for a link right after mkdir, nothing else changes owner", async () => {
    // The service user's state directory, where root creates terminals/ for it.
    const state = join(dir, "race-state");
    await mkdir(state, { mode: 0o700 });
    await chown(state, 65534, 65534);
    const victim = join(dir, "race-victim");
    await writeFile(victim, "root's", { mode: 0o600 });
    const target = join(state, "terminals");
    let swapped = false;
    const r = await straced([process.execPath, "--import", "tsx", "test/durability/fixtures/ensure-directory.ts", target, "65534", "65534"], {
      stopOn: ["mkdir", "mkdirat"],
      onBoundary: async (e) => {
        if (swapped || !pathArgs(e).includes(target) || e.result.startsWith("-1")) return;
        // What the service user can do in its own directory between root's mkdir and chown.
        await rename(target, join(state, "moved"));
        await symlink(victim, target);
        swapped = true;
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(swapped).toBe(true);
    expect(r.stdout).toMatch(/^refused: /);
    expect(await stat(victim)).toMatchObject({ uid: 0, gid: 0 });
    expect((await stat(victim)).mode & 0o777).toBe(0o600);
    // Owners and modes are only ever set through a descriptor.
    expect(r.events.filter((e) => ["chown", "lchown", "fchownat", "chmod", "fchmodat"].includes(e.syscall)).map((e) => `${e.syscall}(${e.args})`)).toEqual([]);
  }, 60_000);

  it("replaces content whole and leaves no temporary behind", async () => {
    const f = join(dir, "replace.json");
    await writeFileDurably(f, "one");
    await writeFileDurably(f, "two");
    expect(await readFile(f, "utf8")).toBe("two");
    expect((await readdir(dir)).filter((n) => n.includes(".tmp-"))).toEqual([]);
  });

  it("a write that fails keeps the old content and removes its temporary", async () => {
    const f = join(dir, "target-dir");
    await mkdir(f);
    await writeFile(join(f, "keep"), "x");
    await expect(writeFileDurably(f, "new")).rejects.toThrow(/target-dir/); // rename onto a non-empty directory
    expect(await readFile(join(f, "keep"), "utf8")).toBe("x");
    expect((await readdir(dir)).filter((n) => n.includes(".tmp-"))).toEqual([]);
  });

  it("never writes through a symlink planted at the target: the link is replaced, its target untouched", async () => {
    const victim = join(dir, "victim");
    await writeFile(victim, "victim");
    const link = join(dir, "link.json");
    await symlink(victim, link);
    await writeFileDurably(link, "ours");
    expect(await readFile(victim, "utf8")).toBe("victim");
    expect((await lstat(link)).isSymbolicLink()).toBe(false);
  });

  it("appends, removes durably, and sweeps temporaries of writers that are gone", async () => {
    const spool = join(dir, "spool.prn");
    await appendFileDurably(spool, Buffer.from("a"));
    await appendFileDurably(spool, Buffer.from("b"));
    expect(await readFile(spool, "utf8")).toBe("ab");
    expect(await removeFileDurably(spool)).toBe(true);
    expect(await removeFileDurably(spool)).toBe(false);
    const sweep = join(dir, "sweep");
    await ensureDirectory(sweep);
    await writeFile(join(sweep, ".point-1.json.tmp-999999999-abcd"), "");
    await writeFile(join(sweep, `.point-2.json.tmp-${process.pid}-abcd`), "");
    await writeFile(join(sweep, "point-1.json"), "{}");
    expect(await removeStaleTemporaries(sweep)).toBe(1);
    expect((await readdir(sweep)).sort()).toEqual([`.point-2.json.tmp-${process.pid}-abcd`, "point-1.json"]);
  });
});
