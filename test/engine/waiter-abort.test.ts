// A refund or reconciliation waits for its flow's answer while the flow's first journal write is
// still under way; the engine closing in between (a restart) rejects the wait before anyone
// awaits it. CI saw that as an unhandled rejection that failed the whole run.
import { describe, expect, it } from "vitest";
import { FlowRegistry } from "../../agent/engine/flow-registry.ts";

describe("flow answer waiters", () => {
  it("a close before the caller awaits is not an unhandled rejection, and the caller still sees it", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const flows = new FlowRegistry(() => 0, () => 0.5);
      const answer = flows.waitFor("R1");
      flows.abortWaiters();
      // Unhandled rejections are reported after the microtask queue drains: let a macrotask pass.
      await new Promise<void>((resolve) => setImmediate(resolve));
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      await expect(answer).rejects.toMatchObject({ code: "ABORTED" });
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});
