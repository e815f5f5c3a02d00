// Review 14v V2: 2caa969 (U3) lets the flow's PumpStop of its own doubted sale go out although the
// confirming read fails — but the escalation stays withheld: pump-tracker.ts only re-stops and
// emergency-stops a filling sale with stopRequestedAt when it is not `doubted`
// (`r.stopRequestedAt !== undefined && !doubted`), and stop-point.ts only ever sends PumpStop. So a
// pump that ignores PumpStop (PTS_STOP_IGNORED's very case) keeps filling our proven sale for as
// long as the controller is busy answering transaction reads: no PumpEmergencyStop, ever — the fill
// runs on past the reservation's lapse and nothing can be committed for it.
import { expect, it } from "vitest";
import { closeAfterEach, openDriver, outcome, received, sale, startTwin } from "../drivers/pts2/helpers.ts";

const cleanup = closeAfterEach();

async function scene(doubt: boolean) {
  const twin = await startTwin({ userId: 1 });
  const { driver } = await openDriver(twin, { pollIntervalMs: 60_000, stopTimeoutMs: 100 });
  cleanup(() => driver.close(), () => twin.close());
  await driver.pollOnce();
  twin.liftNozzle(1, 1);
  await driver.pollOnce();
  expect(await outcome(driver.authorize(sale("S1")))).toBe("ok");
  twin.deliver(1, 1_000);
  await driver.pollOnce();
  twin.ignoreStop(1, true); // the pump's valve does not obey PumpStop
  const realInfo = twin.pumps.transactionInfo.bind(twin.pumps);
  twin.pumps.transactionInfo = (d) => (d.Pump === 1 ? { ok: false, code: 41 } : realInfo(d)) as ReturnType<typeof realInfo>;
  if (doubt) twin.inject({ type: "drop-answer" }); // one poll answer lost: a reboot may hide in it
  twin.deliver(1, 1_000);
  await driver.pollOnce().catch(() => undefined);
  await driver.pollOnce();
  await driver.stop(1).catch(() => undefined); // the flow's lapse stop: PumpStop goes out (U3 fix)
  expect(received(twin, "PumpStop").length).toBeGreaterThan(0);
  // The pump fills on; the flow re-stops, the poll runs, well past stopTimeoutMs.
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 60));
    twin.deliver(1, 1_000);
    await driver.pollOnce().catch(() => undefined);
    await driver.stop(1).catch(() => undefined);
  }
  const measured = { stops: received(twin, "PumpStop").length, emergency: received(twin, "PumpEmergencyStop").length, state: twin.pumps.pumps.get(1)!.current?.state };
  console.log("v2 measured", doubt, JSON.stringify(measured));
  return measured;
}

it("v2 control: without the doubt, the same pump is emergency-stopped (passes)", async () => {
  expect((await scene(false)).emergency).toBeGreaterThan(0);
});

it("v2: a doubted sale that ignores PumpStop is emergency-stopped after stopTimeoutMs", async () => {
  // FAILS: no PumpEmergencyStop — the pump is still filling our sale.
  expect((await scene(true)).emergency).toBeGreaterThan(0);
});
