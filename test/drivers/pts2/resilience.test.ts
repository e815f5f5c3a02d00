// The cases where money is lost or doubled if the driver guesses: an offline pump, a controller
// power cut mid-fill, a PumpAuthorize whose answer never came, a pump that ignores PumpStop, an
// agent restart mid-fill. Each settles once, with the controller's own figures.
import { expect, it } from "vitest";
import type { DispenserEvent } from "../../../drivers/dispenser/contract.ts";
import { MemoryDriverStore } from "../../../drivers/driver-store.ts";
import { isAgentError } from "../../../agent/errors.ts";
import { closeAfterEach, openDriver, received, startTwin, waitUntil, asAgent } from "./helpers.ts";

const cleanup = closeAfterEach();
type End = Extract<DispenserEvent, { type: "end" }>;
const isEnd = (e: DispenserEvent): e is End => e.type === "end";
const codeOf = (p: Promise<unknown>) => p.then(() => "resolved", (e: unknown) => (isAgentError(e) ? `${e.code}${e.context.code ? `/${String(e.context.code)}` : ""}` : String(e)));

it("offline pump: a fault, no authorization; mid-fill the sale record is not final until the pump is back, then the controller's full figures", async () => {
  const twin = await startTwin();
  const { driver, events } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());

  twin.setOffline(2, true);
  expect(await events.waitFor((e) => e.type === "fault" && e.point === 2)).toMatchObject({ code: "PTS_PUMP_OFFLINE" });
  expect(await codeOf(driver.authorize({ point: 2, limitMinor: 10000, currency: "SEK", transactionId: "P2-x", gradeId: "95" }))).toBe("DEVICE_REJECTED/PTS_PUMP_OFFLINE");
  expect(received(twin, "PumpAuthorize")).toHaveLength(0);
  expect((await driver.status()).find((s) => s.point === 2)?.state).toBe("offline");

  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call" && e.point === 1);
  await driver.authorize({ point: 1, limitMinor: 30000, currency: "SEK", transactionId: "P1-off", gradeId: "95" });
  twin.deliver(1, 3_000);
  await events.waitFor((e) => e.type === "progress" && e.milli === 3_000);
  twin.setOffline(1, true);
  await events.waitFor((e) => e.type === "fault" && e.point === 1);
  twin.deliver(1, 2_000); // the dispenser keeps pumping; the controller cannot see it
  expect(await codeOf(driver.saleRecord("P1-off"))).toBe("DEVICE_DISCONNECTED");
  twin.hangUp(1);
  twin.setOffline(1, false);
  expect(await events.waitFor(isEnd)).toMatchObject({ transactionId: "P1-off", milli: 5_000, amountMinor: 9495 });
  expect(await driver.saleRecord("P1-off")).toMatchObject({ state: "finished", milli: 5_000, amountMinor: 9495 });
});

it("controller power cut mid-fill (digest auth): link down, the controller's own figures after the reboot, one end, closed once", async () => {
  const twin = await startTwin({ auth: { scheme: "digest", user: "agent", password: "s3cret" } });
  const { driver, events } = await openDriver(twin, { auth: { scheme: "digest", user: "agent", password: "s3cret" } });
  cleanup(() => driver.close(), () => twin.close());

  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call");
  await driver.authorize({ point: 1, limitMinor: 40000, currency: "SEK", transactionId: "P1-cut", gradeId: "95" });
  twin.deliver(1, 4_321);
  await events.waitFor((e) => e.type === "progress" && e.milli === 4_321);

  await twin.powerCut();
  await events.waitFor((e) => e.type === "link" && !e.up);
  expect(await codeOf(driver.saleRecord("P1-cut"))).toBe("DEVICE_DISCONNECTED");
  await twin.powerOn(); // old nonces are gone: the driver answers the new (stale) challenge
  await events.waitFor((e) => e.type === "link" && e.up);
  const end = await events.waitFor(isEnd);
  expect(end).toMatchObject({ transactionId: "P1-cut", milli: 4_321, amountMinor: 8206 }); // 4.321 × 18.99 = 82.055… → 82.06
  expect(await driver.saleRecord("P1-cut")).toMatchObject({ state: "finished", milli: 4_321, amountMinor: 8206 });
  await driver.settled("P1-cut");
  expect(received(twin, "PumpCloseTransaction")).toHaveLength(1);
  expect(events.count(isEnd)).toBe(1);
});

it("a lost PumpAuthorize answer: resolved by reading the transaction back — one authorization, one sale", async () => {
  const twin = await startTwin();
  const { driver, events } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());

  // The controller ran it and the answer was lost: read back, found, authorized — never re-sent.
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call");
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  await driver.authorize({ point: 1, limitMinor: 20000, currency: "SEK", transactionId: "P1-lost", gradeId: "95" });
  expect(received(twin, "PumpAuthorize")).toHaveLength(1);
  const tx = received(twin, "PumpAuthorize")[0]!.Transaction;
  expect(received(twin, "PumpGetTransactionInformation")).toContainEqual({ Pump: 1, Transaction: tx });
  twin.deliver(1, 1_000);
  twin.hangUp(1);
  expect(await events.waitFor(isEnd)).toMatchObject({ transactionId: "P1-lost", milli: 1_000, amountMinor: 1899 });

  // The request never ran (cut before): read back, absent, sent again with the same number.
  twin.inject({ type: "drop-request", packetType: "PumpAuthorize" });
  await driver.authorize({ point: 2, limitMinor: 20000, currency: "SEK", transactionId: "P2-lost", gradeId: "D" });
  const p2 = received(twin, "PumpAuthorize").filter((d) => d.Pump === 2);
  expect(p2).toHaveLength(1); // the cut request never reached the packet handler
  expect([...twin.pumps.records.values()].filter((t) => t.pump === 2)).toHaveLength(1);

  // A 5xx: maybe run, maybe not — read back first.
  await driver.settled("P1-lost");
  twin.hangUp(1);
  await events.waitFor((e) => e.type === "nozzle" && e.point === 1 && !e.up);
  twin.inject({ type: "http-status", status: 500, packetType: "PumpAuthorize" });
  await driver.authorize({ point: 1, limitMinor: 20000, currency: "SEK", transactionId: "P1-5xx", gradeId: "95" });
  expect([...twin.pumps.records.values()].filter((t) => t.pump === 1)).toHaveLength(2);
  expect(twin.pumps.pumps.get(1)!.current?.state).toBe("WaitingNozzleUpForAuthorization");
});

it("a transaction number some other system already used is found by the probe and never sent; a refusal is typed and leaves no live record", async () => {
  const twin = await startTwin();
  const { driver, store } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());
  await store.put("seq/1", 41); // the driver will pick 42 …
  // … which the controller already has (an attendant's sale)
  twin.pumps.records.set("1:42", { pump: 1, transaction: 42, nozzle: 1, nozzleUsed: 1, fuelGradeId: 1, priceMinor: 1899, doseType: "FullTank", dose: 0, milli: 30_000, amountMinor: 56970, state: "Finished", startedAt: 0, endedAt: 1 });
  await driver.authorize({ point: 1, limitMinor: 10000, currency: "SEK", transactionId: "P1-taken", gradeId: "95" });
  // Probed before the first send: 42 is known to the controller, so it never goes out.
  // (43 twice: the probe, then the confirmed authorization's UserId check — own-user.ts, review 3 R3-4.)
  expect(received(twin, "PumpGetTransactionInformation").map((d) => d.Transaction)).toEqual([42, 43, 43]);
  expect(received(twin, "PumpAuthorize").map((d) => d.Transaction)).toEqual([43]);
  expect(await store.get("tx/P1-taken")).toMatchObject({ transaction: 43, phase: "authorized" });

  // The pump is busy with that authorization: a second one is refused by the controller, typed.
  const refusal = await driver.authorize({ point: 1, limitMinor: 10000, currency: "SEK", transactionId: "P1-second", gradeId: "95" }).catch((e: unknown) => e);
  expect(refusal).toMatchObject({ name: "PtsPacketError", code: "DEVICE_REJECTED", ptsCode: 39 });
  expect(await driver.saleRecord("P1-second")).toBeUndefined();
});

it("a pump that ignores PumpStop gets PumpEmergencyStop after stopTimeoutMs, with a fault; the end is reason stopped", async () => {
  const twin = await startTwin();
  const { driver, events } = await openDriver(twin, { stopTimeoutMs: 600 });
  cleanup(() => driver.close(), () => twin.close());
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call");
  await driver.authorize({ point: 1, limitMinor: 30000, currency: "SEK", transactionId: "P1-ign", gradeId: "95" });
  twin.deliver(1, 2_500);
  await events.waitFor((e) => e.type === "progress");
  twin.ignoreStop(1, true);
  await driver.stop(1);
  expect(await codeOf(driver.saleRecord("P1-ign"))).toBe("DEVICE_TIMEOUT"); // still filling: not final
  expect(await events.waitFor((e) => e.type === "fault" && e.code === "PTS_STOP_IGNORED")).toMatchObject({ transactionId: "P1-ign" });
  await waitUntil(() => received(twin, "PumpEmergencyStop").length > 0, 5000, "PumpEmergencyStop");
  expect(received(twin, "PumpEmergencyStop")).toEqual([{ Pump: 1 }]);
  expect(await events.waitFor(isEnd)).toMatchObject({ transactionId: "P1-ign", milli: 2_500, reason: "stopped" });
});

it("agent restart mid-fill: a new driver on the same durable store knows the flow's transaction and settles it with the controller's figures", async () => {
  const twin = await startTwin();
  const store = new MemoryDriverStore();
  const first = await openDriver(twin, {}, store);
  twin.liftNozzle(1, 2);
  await first.events.waitFor((e) => e.type === "call");
  await first.driver.authorize({ point: 1, limitMinor: 60000, currency: "SEK", transactionId: "P1-restart", gradeId: "D" });
  twin.deliver(1, 7_000);
  await first.events.waitFor((e) => e.type === "progress" && e.milli === 7_000);
  await first.driver.close(); // the agent is gone; the customer keeps filling

  twin.deliver(1, 1_500);
  const second = await openDriver(twin, {}, store);
  cleanup(() => second.driver.close(), () => twin.close());
  expect(await second.driver.saleRecord("P1-restart")).toMatchObject({ state: "delivering", milli: 8_500, gradeId: "D" });
  await second.events.waitFor((e) => e.type === "progress" && e.transactionId === "P1-restart" && e.milli === 8_500);
  expect(second.events.count((e) => e.type === "call")).toBe(0); // the nozzle in hand is that sale, not a new customer
  twin.hangUp(1);
  expect(await second.events.waitFor(isEnd)).toMatchObject({ transactionId: "P1-restart", milli: 8_500, amountMinor: 17417 });
  await second.driver.settled("P1-restart");
  expect(received(twin, "PumpAuthorize")).toHaveLength(1);
});

it("agent killed between recording a PumpAuthorize and sending it: the restarted driver finds it absent, voids it, and stops it should it ever show up", async () => {
  const twin = await startTwin();
  const store = new MemoryDriverStore();
  await store.put("tx/P2-ghost", { flowId: "P2-ghost", point: 2, pump: 2, transaction: 7, nozzle: 1, gradeId: "95", ptsFuelGradeId: 1, priceMinor: 1899, limitMinor: 10000, phase: "authorizing", at: Date.now() });
  const { driver, events } = await openDriver(twin, {}, store);
  cleanup(() => driver.close(), () => twin.close());
  expect(await driver.saleRecord("P2-ghost")).toBeUndefined();
  expect(await store.get("tx/P2-ghost")).toMatchObject({ phase: "void" });
  // It shows up after all (a request stuck somewhere): the driver stops it at once.
  asAgent(twin, () => twin.pumps.authorize({ Pump: 2, Nozzle: 1, Type: "Amount", Dose: 100, Price: 18.99, Transaction: 7 }));
  twin.liftNozzle(2, 1);
  await waitUntil(() => received(twin, "PumpStop").some((d) => d.Pump === 2), 5000, "PumpStop of the ghost");
  await waitUntil(() => twin.pumps.pumps.get(2)!.current === undefined, 5000, "the stopped ghost closed");
  expect(twin.pumps.records.get("2:7")).toMatchObject({ state: "Finished", milli: 0 });
  expect(events.count((e) => e.type === "end")).toBe(0); // no flow owns it
});
