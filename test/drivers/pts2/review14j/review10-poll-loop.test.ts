// Review 10 of issue 14, R10-4 (R9-4 fix): poll-loop.ts spaces upload-driven polls start-to-start.
// A controller that takes longer than UPLOAD_POLL_GAP_MS to answer a poll (the busy one, whose web
// server the POS also needs) is then polled back-to-back, with no pause at all, for as long as
// unauthenticated uploads keep coming — "as fast as it answers", what R9-4 was to prevent.
// Failed on lead6 4ceacd7; the title states the fixed behaviour.
import { expect, it } from "vitest";
import { PollLoop, UPLOAD_POLL_GAP_MS } from "../../../../drivers/pts2/poll-loop.ts";
import { SimClock } from "../../../../simulator/clock.ts";

const flush = () => new Promise<void>((r) => setImmediate(r));

it("an upload flood against a controller answering in 300 ms: each poll starts at least UPLOAD_POLL_GAP_MS after the last one ended", async () => {
  const clock = new SimClock({ manual: true, start: 0 });
  const spans: Array<{ start: number; end: number }> = [];
  const loop = new PollLoop(clock, 500, () => {
    const span = { start: clock.now(), end: NaN };
    spans.push(span);
    return new Promise<void>((r) => clock.setTimer(300, () => ((span.end = clock.now()), r())));
  }, () => undefined);
  loop.start();
  for (let t = 0; t < 3000; t += 2) {
    loop.upload(); // an unauthenticated UploadStatus every 2 ms
    clock.advance(2);
    await flush();
  }
  loop.close();
  const idle = spans.slice(1).map((s, i) => s.start - spans[i]!.end);
  const busy = spans.filter((s) => !Number.isNaN(s.end)).reduce((a, s) => a + (s.end - s.start), 0);
  // Configured: one poll per 500 ms after the last ended (≈ 3.75 polls in 3 s, ~38 % busy; measured on lead6: 10 polls, 2 ms idle (the step), 90 % of 3 s busy with the last poll still running).
  expect({ minIdleMs: Math.min(...idle) >= UPLOAD_POLL_GAP_MS, busyShare: busy / 3000 < 0.8 }).toEqual({ minIdleMs: true, busyShare: true });
});
