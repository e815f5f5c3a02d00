// The restore-in-progress marker is untrusted input (review 4 #1): every way it can point root
// elsewhere is refused with an error naming the marker and what is wrong; an abort marks itself
// in the marker first, so a re-run cannot finish over a half-aborted state (#3), and a re-run of
// an interrupted abort never deletes a previous file it already put back.
import { chmod, chown, lstat, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { abortSwap, completeSwap, readRestoreMarker, RESTORE_MARKER, writeRestoreMarker, type RestoreMarker } from "../../agent/backup/restore-swap.ts";

let dir: string;
beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), "marker-validation-"))));
afterAll(async () => rm(dir, { recursive: true, force: true }));
const exists = (p: string) => lstat(p).then(() => true, () => false);

const good = {
  format: "glase-agent-restore",
  startedAt: "2026-12-01T00:00:00.000Z",
  backup: { file: "b.tar", createdAt: "c", station: "s" },
  replacedDirs: ["replaced-2026-12-01T00-00-00-000Z"],
  groups: [
    {
      target: "journal.sqlite",
      aside: [["journal.sqlite-wal", "replaced-2026-12-01T00-00-00-000Z/journal.sqlite-wal"], ["journal.sqlite", "replaced-2026-12-01T00-00-00-000Z/journal.sqlite"]],
      staged: ".journal.sqlite.restore-12-abc",
      present: ["journal.sqlite"],
    },
    { target: "terminals", aside: [["terminals", "replaced-2026-12-01T00-00-00-000Z/terminals"]], staged: ".terminals.restore-12-abc" },
  ],
};

let n = 0;
async function stateWith(marker: unknown, setup?: (path: string) => Promise<void>): Promise<string> {
  const state = join(dir, `s${n++}`);
  await mkdir(state, { mode: 0o700 });
  const path = join(state, RESTORE_MARKER);
  await writeFile(path, typeof marker === "string" ? marker : JSON.stringify(marker), { mode: 0o600 });
  await setup?.(path);
  return state;
}
const refusal = (state: string) => readRestoreMarker(state).then(() => "accepted", (e: Error) => e.message);

describe("readRestoreMarker refuses a marker it cannot trust", () => {
  it("accepts what restore writes", async () => {
    const m = await readRestoreMarker(await stateWith(good));
    expect(m?.groups[0]!.target).toMatch(/\/journal\.sqlite$/);
  });
  const bad: Array<[string, (g: typeof good) => unknown, RegExp]> = [
    ["an absolute target", (g) => ({ ...g, groups: [{ ...g.groups[1]!, target: "/etc/terminals" }] }), /"\/etc\/terminals" is absolute/],
    ["a .. in an aside destination", (g) => ({ ...g, groups: [{ ...g.groups[1]!, aside: [["terminals", "replaced-x/../../terminals"]] }] }), /contains "\.\."/],
    ["a file restore never writes", (g) => ({ ...g, groups: [{ target: "config.yaml", aside: [] }] }), /"config\.yaml" is not a file restore writes/],
    ["a staged copy of another target", (g) => ({ ...g, groups: [{ ...g.groups[1]!, staged: ".journal.sqlite.restore-1" }] }), /does not belong to target "terminals"/],
    ["an aside that renames", (g) => ({ ...g, groups: [{ ...g.groups[0]!, aside: [["journal.sqlite", "replaced-x/drivers.sqlite"]] }] }), /changes the file's name/],
    ["a replaced dir elsewhere", (g) => ({ ...g, replacedDirs: ["../replaced-x"] }), /contains "\.\."/],
    ["not a marker", () => ({ format: "other" }), /not a restore marker/],
  ];
  for (const [what, make, message] of bad) {
    it(what, async () => expect(await refusal(await stateWith(make(good)))).toMatch(message));
  }
  it("not JSON", async () => expect(await refusal(await stateWith("{"))).toMatch(/restore-in-progress\.json: .* not JSON/));
  it("group- or other-writable", async () => expect(await refusal(await stateWith(good, (p) => chmod(p, 0o622)))).toMatch(/mode 622 lets group or others write it/));
  it("owned by another user than the state directory's owner or root", async () => {
    expect(await refusal(await stateWith(good, (p) => chown(p, 65534, 65534)))).toMatch(/owned by uid 65534, not by the state directory's owner \(uid 0\) or root/);
  });
  it("a FIFO is refused without blocking", async () => {
    const state = join(dir, "fifo");
    await mkdir(state);
    execFileSync("mkfifo", [join(state, RESTORE_MARKER)]);
    expect(await refusal(state)).toMatch(/not a regular file/);
  });
});

describe("an interrupted --abort", () => {
  function plan(state: string): RestoreMarker {
    const rep = join(state, "replaced-T");
    return {
      format: "glase-agent-restore",
      startedAt: "x",
      backup: { file: "b.tar", createdAt: "c", station: "s" },
      replacedDirs: [rep],
      groups: [
        { target: join(state, "journal.sqlite"), aside: [[join(state, "journal.sqlite"), join(rep, "journal.sqlite")]], staged: join(state, ".journal.sqlite.restore-1"), present: [join(state, "journal.sqlite")] },
        { target: join(state, "drivers.sqlite"), aside: [[join(state, "drivers.sqlite"), join(rep, "drivers.sqlite")]], staged: join(state, ".drivers.sqlite.restore-1"), present: [join(state, "drivers.sqlite")] },
      ],
    };
  }
  it("marks the marker aborting before moving: a re-run refuses; a second --abort finishes and never deletes a file already back", async () => {
    const state = join(dir, "abort");
    await mkdir(join(state, "replaced-T"), { recursive: true });
    const m = plan(state);
    await writeRestoreMarker(state, m);
    // The swap finished both groups, then the abort was cut after undoing drivers.sqlite:
    await writeFile(join(state, "replaced-T", "journal.sqlite"), "OLD journal");
    await writeFile(join(state, "journal.sqlite"), "BACKUP journal");
    await writeFile(join(state, "drivers.sqlite"), "OLD drivers");
    await writeRestoreMarker(state, { ...m, aborting: true }); // what abortSwap wrote before its first move
    const onDisk = (await readRestoreMarker(state))!;
    expect(onDisk.aborting).toBe(true);
    await expect(completeSwap(state, onDisk)).rejects.toThrow(/only `glase-agent restore --abort` may continue/);
    const back = await abortSwap(state, onDisk);
    expect(back).toEqual([join(state, "journal.sqlite")]);
    expect({ journal: await readFile(join(state, "journal.sqlite"), "utf8"), drivers: await readFile(join(state, "drivers.sqlite"), "utf8"), marker: await exists(join(state, RESTORE_MARKER)) }).toEqual({ journal: "OLD journal", drivers: "OLD drivers", marker: false });
  });
  it("abortSwap writes aborting into the marker before its first move", async () => {
    const state = join(dir, "abort2");
    await mkdir(join(state, "replaced-T"), { recursive: true });
    const m = plan(state);
    await writeRestoreMarker(state, m);
    await writeFile(join(state, "replaced-T", "journal.sqlite"), "OLD journal");
    await writeFile(join(state, ".journal.sqlite.restore-1"), "BACKUP journal"); // cut before it went in
    await writeFile(join(state, "journal.sqlite"), "recreated");
    await expect(abortSwap(state, m)).rejects.toThrow(/journal\.sqlite exists .* differs from the previous file .*replaced-T\/journal\.sqlite/);
    expect((await readRestoreMarker(state))!.aborting).toBe(true); // and the marker stays
  });
});
