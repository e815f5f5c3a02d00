// Shutdown order: the engine closes before the journal. A compaction batch running at that moment
// must end first, or it fails against a closed database ("journal_compaction_failed" at every stop).
import { describe, expect, it } from "vitest";
import { JournalCompaction } from "../../agent/engine/compaction.ts";
import type { Journal } from "../../agent/journal/types.ts";
import type { Logger } from "../../base/log.ts";
import { SimClock } from "../../simulator/clock.ts";

function recordingLogger(lines: string[]): Logger {
  const l: Logger = {
    debug: (m) => void lines.push(`debug ${m}`),
    info: (m) => void lines.push(`info ${m}`),
    warn: (m) => void lines.push(`warn ${m}`),
    error: (m) => void lines.push(`error ${m}`),
    child: () => l,
  } as Logger;
  return l;
}

describe("journal compaction at stop", () => {
  it("stop() resolves only after the compaction that is running has ended, and none starts after", async () => {
    const clock = new SimClock();
    let finish!: (n: number) => void;
    let calls = 0;
    const journal = { compact: () => (calls++, new Promise<number>((r) => (finish = r))) } as unknown as Journal;
    const lines: string[] = [];
    const c = new JournalCompaction(journal, clock, 60_000, recordingLogger(lines));
    c.start();
    clock.advance(0);
    expect(calls).toBe(1);
    let stopped = false;
    const stopping = c.stop().then(() => (stopped = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(stopped).toBe(false);
    finish(3);
    await stopping;
    expect(stopped).toBe(true);
    clock.advance(3_600_000);
    expect(calls).toBe(1);
    expect(lines.filter((l) => l.startsWith("error"))).toEqual([]);
    clock.dispose();
  });
});
