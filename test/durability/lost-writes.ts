// The file system a power cut leaves, from an strace trace: every write not yet fsynced is lost.
// power-cut.test.ts empties a file written since its last fsync, which is right for the agent's
// whole-file writes (temp → write → fsync → rename) but not for SQLite, which overwrites pages of
// an existing database in place (a checkpoint): there the cut leaves the content as of the last
// fsync. So this model remembers each file's content at its last fsync (read at that very
// boundary, the process stopped) — or as it was before the command, for a file already there —
// and a cut puts that back; a file never fsynced is emptied. Renames and links carry both the
// content and the dirty flag. (A rename or unlink not yet made durable by its directory's fsync
// may be undone too: that state is the copy taken at the boundary before.)
import { spawnSync } from "node:child_process";
import { mkdir, readFile, truncate, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { pathArgs } from "./discipline.ts";
import { under, type TraceEvent } from "./strace.ts";

export class LostWrites {
  private readonly dirty = new Set<string>();
  /** Content at the last fsync; absent key: as before the command (read from `before`). */
  private readonly synced = new Map<string, Buffer>();
  private seen = 0;

  /** @param before a copy of `state` taken before the command ran */
  constructor(
    private readonly state: string,
    private readonly before: string,
  ) {}

  /** Feeds the trace so far (call at every boundary, the process stopped). */
  async advance(events: readonly TraceEvent[]): Promise<void> {
    for (; this.seen < events.length; this.seen++) {
      const e = events[this.seen]!;
      if (!under(this.state, e) || e.result.startsWith("-1")) continue;
      if (e.syscall === "openat" && /O_TRUNC/.test(e.args)) this.dirty.add(pathArgs(e)[0] ?? "");
      else if ((e.syscall === "write" || e.syscall === "writev" || e.syscall === "pwrite64") && e.fdPath) this.dirty.add(e.fdPath);
      else if ((e.syscall === "fsync" || e.syscall === "fdatasync") && e.fdPath) {
        if (this.dirty.delete(e.fdPath)) this.synced.set(e.fdPath, await readFile(e.fdPath).catch(() => Buffer.alloc(0)));
      } else if (e.syscall.startsWith("rename") || e.syscall.startsWith("link")) {
        const [src, dst] = pathArgs(e);
        if (!src || !dst) continue;
        if (this.dirty.has(src)) this.dirty.add(dst);
        else this.dirty.delete(dst);
        const content = this.synced.get(src) ?? (await readFile(join(this.before, relative(this.state, src))).catch(() => undefined));
        if (content) this.synced.set(dst, content);
        else this.synced.delete(dst);
        if (e.syscall.startsWith("rename")) {
          this.dirty.delete(src);
          this.synced.delete(src);
        }
      }
    }
  }

  /** Copies `state` to `dir` as the cut leaves it. */
  async cutInto(dir: string): Promise<void> {
    if (spawnSync("cp", ["-a", this.state, dir]).status !== 0) await mkdir(dir);
    for (const f of this.dirty) {
      const to = join(dir, relative(this.state, f));
      const content = this.synced.get(f) ?? (await readFile(join(this.before, relative(this.state, f))).catch(() => undefined));
      if (content) await writeFile(to, content).catch(() => undefined);
      else await truncate(to).catch(() => undefined);
    }
  }
}
