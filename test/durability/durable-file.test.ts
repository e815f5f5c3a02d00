// The durable-file helper's own contract (its fsync order is witnessed by strace in
// fsync-discipline.test.ts): exact modes whatever the umask, no write through planted files,
// a failed write leaves the old content and no temporary, leftovers of dead writers are removed.
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendFileDurably, ensureDirectory, removeFileDurably, removeStaleTemporaries, writeFileDurably } from "../../agent/durable-file.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-durable-file-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("durable files", () => {
  it("writes 0600 by default and the asked mode exactly, creating missing directories 0700", async () => {
    const old = process.umask(0o000);
    try {
      const secret = join(dir, "a", "b", "secret.json");
      await writeFileDurably(secret, "s3cret");
      expect((await stat(secret)).mode & 0o777).toBe(0o600);
      expect((await stat(join(dir, "a"))).mode & 0o777).toBe(0o700);
      const receipt = join(dir, "a", "receipt.txt");
      await writeFileDurably(receipt, "r", { mode: 0o644 });
      expect((await stat(receipt)).mode & 0o777).toBe(0o644);
    } finally {
      process.umask(old);
    }
  });

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
