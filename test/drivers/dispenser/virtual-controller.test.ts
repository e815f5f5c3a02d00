// The virtual controller's own behaviour (scripting, auto customer, faults), observed through
// the real driver over TCP.
import { describe, expect, it } from "vitest";
import { configureLogging } from "../../../agent/log.ts";
import { openDispenserController } from "../../../drivers/dispenser/open.ts";
import type { VirtualController } from "../../../simulator/devices/virtual-controller.ts";
import { EventLog, advanceInSteps, closeAfterEach, virtualControllerOnTcp } from "./helpers.ts";

configureLogging({ level: "error" });

const cleanup = closeAfterEach();

async function setup(options: ConstructorParameters<typeof VirtualController>[0] = {}) {
  const { clock, vc, port } = await virtualControllerOnTcp(options);
  const log = new EventLog();
  const driver = await openDispenserController({ kind: "tcp", host: "127.0.0.1", port }, { onEvent: log.push });
  cleanup(() => vc.close(), () => driver.close());
  return { clock, vc, driver, log };
}

describe("virtual controller", () => {
  it("auto customer: lifts after a while, fuels until the limit, hangs up", async () => {
    const { clock, vc, driver, log } = await setup({ flowRateMilliPerSec: 1000 });
    vc.setAutoCustomer({ untilLimit: true, liftAfterMs: 2000, gradeId: "D" });
    await driver.authorize({ point: 1, limitMinor: 10000, currency: "SEK", transactionId: "auto-1" });
    advanceInSteps(clock, 1500);
    expect(vc.model.status()[0]).toMatchObject({ state: "authorized", nozzleUp: false });
    advanceInSteps(clock, 10_000);
    const end = await log.waitFor((e) => e.type === "end");
    // 100.00 kr at 20.49/L: 4.880 L (99.99 kr); 4.881 L would cost 100.01 kr.
    expect(end).toMatchObject({ transactionId: "auto-1", gradeId: "D", reason: "limit", milli: 4880, amountMinor: 9999 });
    await log.waitFor((e) => e.type === "nozzle" && !e.up);
    expect(log.events.map((e) => e.type)).toEqual(["link", "nozzle", ...Array(log.count((e) => e.type === "progress")).fill("progress"), "end", "nozzle"]);
  });

  it("flows at the configured rate and reports progress on the way", async () => {
    const { clock, vc, driver, log } = await setup({ flowRateMilliPerSec: 400, tickMs: 500 });
    await driver.authorize({ point: 2, limitMinor: 100000, currency: "SEK", transactionId: "rate" });
    vc.liftNozzle(2);
    advanceInSteps(clock, 5000, 500);
    await log.waitFor((e) => e.type === "progress" && e.milli === 2000);
    expect(log.events.filter((e) => e.type === "progress").map((e) => e.type === "progress" && e.milli)).toEqual([200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800, 2000]);
    await driver.stop(2);
    expect(await log.waitFor((e) => e.type === "end")).toMatchObject({ reason: "stopped", milli: 2000, amountMinor: 3798 });
  });

  it("a hardware fault ends the delivery, is notified, and refuses new sales until cleared", async () => {
    const { clock, vc, driver, log } = await setup();
    await driver.authorize({ point: 1, limitMinor: 10000, currency: "SEK", transactionId: "hw" });
    vc.liftNozzle(1);
    advanceInSteps(clock, 1000);
    vc.injectFault({ type: "point-fault", point: 1, code: "PULSER", message: "no pulses, valve closed" });
    expect(await log.waitFor((e) => e.type === "fault")).toEqual({ type: "fault", point: 1, code: "PULSER", message: "no pulses, valve closed", transactionId: "hw" });
    expect(await log.waitFor((e) => e.type === "end")).toMatchObject({ reason: "fault", milli: 600 });
    const err = await driver.authorize({ point: 1, limitMinor: 10000, currency: "SEK", transactionId: "hw2" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "DEVICE_REJECTED", context: { reason: "FAULT" } });
    vc.clearFault(1);
    vc.hangUp(1);
    await driver.authorize({ point: 1, limitMinor: 10000, currency: "SEK", transactionId: "hw2" });
  });

  it("a nozzle left up after a sale does not start the next one by itself", async () => {
    const { clock, vc, driver, log } = await setup();
    await driver.authorize({ point: 1, limitMinor: 1000, currency: "SEK", transactionId: "n1" });
    vc.liftNozzle(1);
    advanceInSteps(clock, 3000);
    await log.waitFor((e) => e.type === "end");
    await driver.authorize({ point: 1, limitMinor: 1000, currency: "SEK", transactionId: "n2" });
    advanceInSteps(clock, 3000);
    expect(await driver.saleRecord("n2")).toMatchObject({ state: "authorized", milli: 0 });
    vc.hangUp(1);
    vc.liftNozzle(1);
    advanceInSteps(clock, 3000);
    expect(await driver.saleRecord("n2")).toMatchObject({ state: "finished", reason: "limit" });
  });
});
