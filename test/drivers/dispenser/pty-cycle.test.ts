// The real driver on serialport, talking through a real tty (socat pty pair) to the virtual
// controller on the other end.
import { describe, expect, it } from "vitest";
import type { LineDispenserDriver } from "../../../drivers/dispenser/line-driver.ts";
import { openDispenserController } from "../../../drivers/dispenser/open.ts";
import { SimClock } from "../../../simulator/clock.ts";
import { openPtyPair, type PtyPair } from "../../../simulator/devices/pty-pair.ts";
import { VirtualController } from "../../../simulator/devices/virtual-controller.ts";
import { EventLog, advanceInSteps, closeAfterEach } from "./helpers.ts";

const cleanup = closeAfterEach();

async function setup() {
  const clock = new SimClock({ manual: true });
  const vc = new VirtualController({ scheduler: clock, points: 2, stallTimeoutMs: 5000 });
  let pair: PtyPair = await openPtyPair();
  await vc.attachSerial({ path: pair.a });
  const driver: LineDispenserDriver = await openDispenserController({
    kind: "serial",
    path: pair.b,
    baudRate: 115200,
    commandTimeoutMs: 2000,
    reconnectInitialMs: 50,
    reconnectMaxMs: 300,
  });
  const log = new EventLog();
  driver.onEvent(log.push);
  cleanup(
    () => vc.close(),
    () => driver.close(),
    () => pair.close(),
  );
  /** Pulls the adapter out (socat dies, links vanish) and plugs a new one in under the same names. */
  const replug = async (whileUnplugged: () => Promise<void>) => {
    const dir = pair.a.slice(0, pair.a.lastIndexOf("/"));
    await pair.close();
    await whileUnplugged();
    pair = await openPtyPair({ dir });
    await vc.attachSerial({ path: pair.a });
  };
  return { clock, vc, driver, log, replug };
}

describe("line driver ↔ virtual controller over a socat pty", () => {
  it("runs authorize → deliver → end → sale record", async () => {
    const { clock, vc, driver, log } = await setup();
    expect(driver.stats().linkUp).toBe(true);
    await driver.authorize({ point: 2, limitMinor: 30000, currency: "SEK", transactionId: "pty-1", gradeId: "D" });
    vc.liftNozzle(2, { gradeId: "D", volumeMilli: 7250 });
    advanceInSteps(clock, 15_000);
    const end = await log.waitFor((e) => e.type === "end");
    expect(end).toEqual({ type: "end", point: 2, transactionId: "pty-1", gradeId: "D", milli: 7250, amountMinor: 14855, unitPriceMinor: 2049, reason: "nozzle-down" });
    expect(await driver.saleRecord("pty-1")).toMatchObject({ state: "finished", milli: 7250, amountMinor: 14855, reason: "nozzle-down" });
    expect(driver.stats().badLines).toBe(0);
  });

  it("survives unplug and replug mid-delivery: reconnects, re-HELLOs, and the sale record tells the truth", async () => {
    const { clock, vc, driver, log, replug } = await setup();
    await driver.authorize({ point: 1, limitMinor: 100000, currency: "SEK", transactionId: "pty-2" });
    vc.liftNozzle(1);
    advanceInSteps(clock, 2000);
    await log.waitFor((e) => e.type === "progress" && e.milli >= 1200);
    await replug(async () => {
      await log.waitFor((e) => e.type === "link" && !e.up, 15_000, "link down");
      const err = await driver.status().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "DEVICE_DISCONNECTED" });
      advanceInSteps(clock, 3000); // the board keeps metering while the line is out
      vc.hangUp(1);
    });
    await log.waitFor((e) => e.type === "link" && e.up, 15_000, "link up again");
    expect(log.count((e) => e.type === "end")).toBe(0); // the END went nowhere while unplugged…
    expect(await driver.saleRecord("pty-2")).toMatchObject({ state: "finished", milli: 3000, amountMinor: 5697, reason: "nozzle-down" }); // …the record has it
  });

  it("reports an overrun past the limit honestly", async () => {
    const { clock, vc, driver, log } = await setup();
    vc.injectFault({ type: "overrun", point: 1, milli: 400 });
    await driver.authorize({ point: 1, limitMinor: 5000, currency: "SEK", transactionId: "pty-3", gradeId: "95" });
    vc.liftNozzle(1);
    advanceInSteps(clock, 20_000);
    const end = await log.waitFor((e) => e.type === "end");
    // limit 50.00 kr at 18.99/L is 2.633 L; the valve closed 0.400 L late.
    expect(end).toMatchObject({ reason: "limit", milli: 3033, amountMinor: 5760 });
    expect(end.type === "end" && end.amountMinor).toBeGreaterThan(5000);
    expect(await driver.saleRecord("pty-3")).toMatchObject({ milli: 3033, amountMinor: 5760, limitMinor: 5000 });
  });

  it("ends a stalled delivery with what was metered", async () => {
    const { clock, vc, driver, log } = await setup();
    await driver.authorize({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: "pty-4" });
    vc.liftNozzle(1);
    advanceInSteps(clock, 1000);
    await log.waitFor((e) => e.type === "progress" && e.milli === 600);
    vc.injectFault({ type: "stall", point: 1 });
    advanceInSteps(clock, 6000);
    const end = await log.waitFor((e) => e.type === "end");
    expect(end).toMatchObject({ reason: "stall", milli: 600, amountMinor: 1139 });
    expect(await driver.saleRecord("pty-4")).toMatchObject({ reason: "stall", milli: 600 });
  });
});
