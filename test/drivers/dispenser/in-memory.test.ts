import { describe, expect, it } from "vitest";
import { isAgentError } from "../../../agent/errors.ts";
import type { DispenserEvent } from "../../../drivers/dispenser/contract.ts";
import { InMemoryDispenser } from "../../../drivers/dispenser/in-memory.ts";

function setup() {
  const d = new InMemoryDispenser({ points: 2 });
  const events: DispenserEvent[] = [];
  d.onEvent((e) => events.push(e));
  return { d, events };
}

describe("InMemoryDispenser", () => {
  it("runs call → authorize → lift → deliver → hang up, and keeps the sale record", async () => {
    const { d, events } = setup();
    d.customerCall(1, { presetMinor: 20000 });
    await d.authorize({ point: 1, limitMinor: 20000, currency: "SEK", transactionId: "tx1", gradeId: "95" });
    d.liftNozzle(1, "95");
    expect(d.deliver(1, 10_000)).toBe(10_000);
    d.hangUp(1);
    const end = events.find((e) => e.type === "end");
    expect(end).toEqual({ type: "end", point: 1, transactionId: "tx1", gradeId: "95", milli: 10_000, amountMinor: 18990, unitPriceMinor: 1899, reason: "nozzle-down" });
    expect(events[0]).toEqual({ type: "call", point: 1, presetMinor: 20000 });
    expect(await d.saleRecord("tx1")).toMatchObject({ state: "finished", milli: 10_000, amountMinor: 18990, reason: "nozzle-down" });
    expect((await d.status())[0]).toMatchObject({ point: 1, state: "idle", nozzleUp: false });
  });

  it("stops at the limit, and overruns it when a fault is injected", async () => {
    const { d, events } = setup();
    await d.authorize({ point: 1, limitMinor: 10000, currency: "SEK", transactionId: "a" });
    d.liftNozzle(1);
    d.deliver(1, 100_000);
    const end = events.find((e) => e.type === "end");
    expect(end).toMatchObject({ reason: "limit", amountMinor: 10000 });
    d.hangUp(1);
    d.setOverrun(2, 500);
    await d.authorize({ point: 2, limitMinor: 10000, currency: "SEK", transactionId: "b" });
    d.liftNozzle(2);
    d.deliver(2, 100_000);
    const rec = await d.saleRecord("b");
    expect(rec!.amountMinor).toBeGreaterThan(10000);
    expect(rec!.reason).toBe("limit");
  });

  it("treats a repeated authorize with the same transaction id as the same sale, refuses a busy point", async () => {
    const { d } = setup();
    const cmd = { point: 1, limitMinor: 5000, currency: "SEK", transactionId: "x" };
    await d.authorize(cmd);
    await d.authorize(cmd);
    const err = await d.authorize({ ...cmd, transactionId: "y" }).catch((e: unknown) => e);
    expect(isAgentError(err, "DEVICE_REJECTED") && err.context.reason).toBe("BUSY");
    await d.stop(1);
    expect(await d.saleRecord("x")).toMatchObject({ state: "finished", reason: "stopped", milli: 0 });
    const done = await d.authorize(cmd).catch((e: unknown) => e);
    expect(isAgentError(done, "DEVICE_REJECTED") && done.context.reason).toBe("DONE");
  });

  it("rejects commands while the link is down and reports link events", async () => {
    const { d, events } = setup();
    d.setLink(false);
    const err = await d.status().catch((e: unknown) => e);
    expect(isAgentError(err, "DEVICE_DISCONNECTED")).toBe(true);
    d.setLink(true);
    await d.status();
    expect(events).toEqual([{ type: "link", up: false }, { type: "link", up: true }]);
  });

  it("a stall or fault ends the delivery with what was metered", async () => {
    const { d, events } = setup();
    await d.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: "s" });
    d.liftNozzle(1);
    d.deliver(1, 2000);
    d.stall(1);
    expect(events.filter((e) => e.type === "end")).toMatchObject([{ reason: "stall", milli: 2000 }]);
    await d.authorize({ point: 2, limitMinor: 50000, currency: "SEK", transactionId: "f" });
    d.liftNozzle(2);
    d.deliver(2, 1000);
    d.fault(2, "PULSER", "pulser lost");
    expect(events.filter((e) => e.type === "end")[1]).toMatchObject({ reason: "fault", milli: 1000 });
    expect(events.some((e) => e.type === "fault" && e.transactionId === "f")).toBe(true);
  });
});
