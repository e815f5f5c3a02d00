// Review 8 of issue 14, R8-2 and R8-3: the real driver over loopback HTTP to the virtual PTS-2.
// R8-2: on a controller that numbers authorizations itself (the twin's `renumberFrom`), the answer
// to the FIRST renumbered PumpAuthorize — the one that would have revealed it — is lost. The
// authorization is live under the controller's number (41), which no record held: the driver
// refused the flow and left it live (the next driver fuelled free). Now the driver reads the pump
// before it refuses or gives up: ours provably → adopted under 41 (and the controller flagged);
// unprovable → parked under 41 and, waiting for a nozzle, revoked; someone else's → not touched.
import { describe, expect, it } from "vitest";
import type { DispenserEvent } from "../../../../contracts/dispenser.ts";
import { MemoryDriverStore } from "../../../../drivers/driver-store.ts";
import type { TxRecord } from "../../../../drivers/pts2/transactions.ts";
import { POS_USER_ID, stamp } from "../../../../simulator/devices/virtual-pts2-pumps.ts";
import { asAgent, closeAfterEach, openDriver, received, startTwin, waitUntil } from "../helpers.ts";

const cleanup = closeAfterEach();
type Fault = Extract<DispenserEvent, { type: "fault" }>;
const isFault = (e: DispenserEvent): e is Fault => e.type === "fault";
const sale = (id: string) => ({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: id, gradeId: "95" });
const codeOf = (p: Promise<unknown>) => p.then(() => "ok", (e: { context?: { code?: string }; code?: string }) => e.context?.code ?? e.code ?? "error");

async function renumberingStation(overrides: Parameters<typeof openDriver>[1] = {}) {
  const twin = await startTwin({ userId: 1, renumberFrom: 41 });
  const opened = await openDriver(twin, overrides);
  cleanup(() => opened.driver.close(), () => twin.close());
  await opened.driver.pollOnce();
  return { twin, ...opened, pump: () => twin.pumps.pumps.get(1)! };
}

describe("R8-2: the answer to the first renumbered PumpAuthorize is lost", () => {
  it("waiting for the nozzle, under our trusted user: adopted under the controller's number — the sale is metered, ended and closed as ours; the controller is flagged", async () => {
    const { twin, driver, events, pump } = await renumberingStation();
    twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
    expect(await codeOf(driver.authorize(sale("LOST")))).toBe("ok");
    expect(pump().current).toMatchObject({ transaction: 41, userId: 1, state: "WaitingNozzleUpForAuthorization" });
    expect(events.events.filter(isFault).map((e) => e.code)).toEqual(["PTS_NUMBERS_NOT_HONOURED"]);
    expect(events.events.filter(isFault)[0]!.message).toMatch(/transaction 1 as transaction 41/);
    twin.liftNozzle(1, 1);
    twin.deliver(1, 2_000);
    twin.hangUp(1);
    await waitUntil(() => events.events.some((e) => e.type === "end" && e.transactionId === "LOST"));
    expect(events.events.find((e) => e.type === "end")).toMatchObject({ transactionId: "LOST", milli: 2_000 });
    await driver.settled("LOST");
    expect(received(twin, "PumpCloseTransaction")).toContainEqual({ Pump: 1, Transaction: 41 });
    expect(pump().current).toBeUndefined();
    expect(await codeOf(driver.authorize(sale("NEXT")))).toBe("PTS_NUMBERS_NOT_HONOURED");
  });

  it("the customer already holds the nozzle (the resend is refused 'busy filling'): adopted, the fill reported as ours", async () => {
    const { twin, driver, events, pump } = await renumberingStation();
    twin.liftNozzle(1, 1);
    await driver.pollOnce();
    twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
    expect(await codeOf(driver.authorize(sale("HELD")))).toBe("ok");
    expect(pump().current).toMatchObject({ transaction: 41, state: "Filling" });
    twin.deliver(1, 3_000);
    twin.hangUp(1);
    await waitUntil(() => events.events.some((e) => e.type === "end" && e.transactionId === "HELD"));
    expect(events.events.find((e) => e.type === "end")).toMatchObject({ transactionId: "HELD", milli: 3_000 });
  });

  it("every answer lost (the sends run out): adopted before giving up, not left to be voided", async () => {
    const { twin, driver, pump } = await renumberingStation();
    for (let i = 0; i < 3; i++) twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
    expect(await codeOf(driver.authorize(sale("ALL-LOST")))).toBe("ok");
    expect(pump().current).toMatchObject({ transaction: 41, state: "WaitingNozzleUpForAuthorization" });
    await driver.stop(1); // the flow gives it up: revoked like any sale of ours
    expect(pump().current?.state).not.toBe("WaitingNozzleUpForAuthorization");
  });

  it("our user not yet corroborated (fresh install): nothing proves it ours — parked under the controller's number (PTS_OWNERSHIP_UNKNOWN), not revoked on that evidence (review 11, R11-5: the same evidence is the POS's prepay under a controllerUserId typo); the fill under it waits for the technician's claim, charged then", async () => {
    const { twin, driver, events } = await renumberingStation({ controllerUserId: 1 });
    twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
    expect(await codeOf(driver.authorize(sale("UNPROVEN")))).toBe("PTS_OWNERSHIP_UNKNOWN");
    expect(received(twin, "PumpStop").length).toBe(0);
    const parked = events.events.filter(isFault).find((e) => e.code === "PTS_OWNERSHIP_UNKNOWN");
    expect(parked?.message).toMatch(/transaction 41/);
    twin.liftNozzle(1, 1); // our customer (the authorization was ours after all)
    expect(twin.deliver(1, 20_000)).toBe(20_000);
    twin.hangUp(1);
    await waitUntil(() => twin.pumps.records.get("1:41")?.state === "EndOfTransaction");
    expect(received(twin, "PumpStop").length).toBe(0);
    await driver.resolveSale("UNPROVEN", "ours"); // checked on the controller: ours
    expect(await driver.saleRecord("UNPROVEN")).toMatchObject({ state: "finished", milli: 20_000 });
  });

  it("the pump holds the attendant's authorization (POS, another user): not ours — refused as before, not stopped, not adopted", async () => {
    const { twin, driver, pump } = await renumberingStation();
    // Our request is cut before it runs; before the resend the POS authorizes the pump.
    twin.inject({ type: "drop-request", packetType: "PumpAuthorize" });
    const realInfo = twin.pumps.transactionInfo.bind(twin.pumps);
    let reads = 0;
    let posDone = false;
    twin.pumps.transactionInfo = (d) => {
      if (++reads === 2) {
        // The read-back after the lost answer (the first read was the probe).
        posDone = true;
        twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Amount", Dose: 200, Price: 18.99 });
      }
      return realInfo(d);
    };
    expect(await codeOf(driver.authorize(sale("POS-HELD")))).not.toBe("ok");
    expect(posDone).toBe(true);
    expect(pump().current).toMatchObject({ userId: POS_USER_ID, state: "WaitingNozzleUpForAuthorization" });
    expect(received(twin, "PumpStop").length).toBe(0);
  });

  it("an agent killed mid-authorize: after the restart the poll's read-back finds the record's number absent — the authorization live under the controller's number is adopted, not voided and left live", async () => {
    const twin = await startTwin({ userId: 1, renumberFrom: 41 });
    const store = new MemoryDriverStore();
    // What the killed agent left: its record, probed and sent as its trusted user 1; the request landed as 41.
    const at = Date.now();
    await store.put("tx/KILLED", { flowId: "KILLED", point: 1, pump: 1, transaction: 1, nozzle: 1, gradeId: "95", ptsFuelGradeId: 1, priceMinor: 1899, priceDigits: 2, limitMinor: 50000, phase: "authorizing", at, probedAt: at, controllerTimeAtProbe: stamp(twin.scheduler.now()), sentAs: { userId: 1, trusted: true } } satisfies TxRecord);
    asAgent(twin, () => twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Amount", Dose: 500, Price: 18.99, AutoCloseTransaction: false, Transaction: 1 }));
    const { driver, events } = await openDriver(twin, {}, store);
    cleanup(() => driver.close(), () => twin.close());
    const rec = async () => (await store.get("tx/KILLED")) as TxRecord;
    await waitUntil(async () => (await rec()).phase !== "authorizing");
    expect(await rec()).toMatchObject({ phase: "authorized", transaction: 41 });
    expect(events.events.filter(isFault).map((e) => e.code)).toContain("PTS_NUMBERS_NOT_HONOURED");
    expect(await driver.saleRecord("KILLED")).toMatchObject({ state: "authorized" });
  });
});
