// Review 4: the restore-in-progress marker is trusted blindly. The state directory is the
// service user's (glase-agent, StateDirectory=), `restore` runs as root (docs/install.md §10), and
// readRestoreMarker resolves every path of the marker with no check that it stays inside the
// state directory (absolute paths and ../ pass), nor who owns the marker. So whoever is the
// service user (a compromised daemon) makes root move files anywhere and rm -rf anything.
import { chown, lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { abortRestore } from "../../agent/backup/restore.ts";
import { assertNoRestoreInProgress, RESTORE_MARKER } from "../../agent/backup/restore-swap.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rv4-marker-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const exists = (p: string) => lstat(p).then(() => true, () => false);

describe("restore --abort over a marker the service user planted", () => {
  it("never touches anything outside the state directory", async () => {
    const state = join(dir, "var-lib-glase-agent");
    const outside = join(dir, "etc"); // stands for /etc, /root, … (root-owned)
    await mkdir(state, { mode: 0o700 });
    await mkdir(join(outside, "important"), { recursive: true });
    await writeFile(join(outside, "important", "keep.txt"), "root's data\n");
    // What the service user (uid 65534 here) can do: write files in its own state directory.
    await writeFile(join(state, "payload"), "/tmp/evil.so\n");
    const marker = {
      format: "glase-agent-restore",
      startedAt: new Date().toISOString(),
      backup: { file: "/var/backups/x.tar", createdAt: "2026-01-01T00:00:00.000Z", station: "s" },
      replacedDirs: [],
      groups: [
        // abort: "to exists and from does not" → root renames the attacker's file to `from`
        { target: join(outside, "ld.so.preload"), aside: [[join(outside, "ld.so.preload"), "payload"]] },
        // abort: rm -rf of `staged`, wherever it is
        { target: "x", aside: [], staged: join(outside, "important") },
      ],
    };
    await writeFile(join(state, RESTORE_MARKER), JSON.stringify(marker));
    await chown(state, 65534, 65534);
    await chown(join(state, RESTORE_MARKER), 65534, 65534);
    await chown(join(state, "payload"), 65534, 65534);

    // root runs `glase-agent restore --abort` as the daemon's refusal tells it to
    await abortRestore({ stateDir: state }).catch(() => undefined);

    const planted = await exists(join(outside, "ld.so.preload"));
    const wiped = !(await exists(join(outside, "important", "keep.txt")));
    expect({ planted, wiped, outside: await readdir(outside) }).toEqual({ planted: false, wiped: false, outside: ["important"] });
  });

  it("a marker that is a symlink (or not owned by the state directory's owner) is refused, not followed", async () => {
    const state = join(dir, "state2");
    await mkdir(state, { mode: 0o700 });
    const elsewhere = join(dir, "elsewhere.json");
    await writeFile(elsewhere, JSON.stringify({ format: "glase-agent-restore", startedAt: "x", backup: { file: "f", createdAt: "c", station: "s" }, replacedDirs: [], groups: [] }));
    await symlink(elsewhere, join(state, RESTORE_MARKER));
    let message = "";
    await assertNoRestoreInProgress(state).catch((e: Error) => (message = e.message));
    // Expected: "marker is a symlink / not owned by …" — today it reads through the link.
    expect(message).toMatch(/symlink|not a regular file|owner/i);
    void readFile;
  });
});
