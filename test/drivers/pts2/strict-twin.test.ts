// The driver against the STRICT PumpAuthorize of the virtual PTS-2 (VirtualPts2Options.strictAuthorize):
// where the default twin assumes a same-number PumpAuthorize is "the same request again" whoever
// sends it, a stricter firmware refuses a pump held by another controller user with 40 "Pump is busy
// by other user" (the vendor SDK's JSONPTS_ERROR_PUMP_BUSY_OTHER_USER; an integrator's PHP bridge
// handles exactly that answer to PumpAuthorize) and a same-user repeat with 39 "Duplicated
// authorization request". Whichever the controller does, the driver must stay safe: our sale settled
// once at the controller's figures, someone else's never charged, stopped or closed by us.
// Real driver over loopback HTTP against the twin.
import { expect, it } from "vitest";
import type { DispenserEvent } from "../../../contracts/dispenser.ts";
import type { TxRecord } from "../../../drivers/pts2/transactions.ts";
import { closeAfterEach, openDriver, received, startTwin, waitUntil } from "./helpers.ts";

const cleanup = closeAfterEach();
const sale = (id: string) => ({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: id, gradeId: "95" });
const outcome = (p: Promise<unknown>) => p.then(() => "ok", (e: { context?: { code?: string; ptsCode?: number }; ptsCode?: number; code?: string }) => e.ptsCode ?? e.context?.ptsCode ?? e.context?.code ?? e.code ?? "error");
const ofFlow = (events: DispenserEvent[], id: string) => events.filter((e) => "transactionId" in e && e.transactionId === id && e.type !== "fault").map((e) => e.type);

/** The attendant's POS authorizes the pump (no number: the controller's next, which is the one our probe just found free). */
function posAuthorizes(twin: Awaited<ReturnType<typeof startTwin>>): void {
  const before = twin.pumps.requestUser;
  twin.pumps.requestUser = 2;
  twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Volume", Dose: 30, Price: 18.99 });
  twin.pumps.requestUser = before;
}

it("strict: the POS takes our probed number before our first PumpAuthorize — refused (40), nothing charged, the POS's sale untouched", async () => {
  const twin = await startTwin({ userId: 1, strictAuthorize: true });
  const { driver, events, store } = await openDriver(twin, { controllerUserId: 1 });
  cleanup(() => driver.close(), () => twin.close());
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call");
  const real = twin.pumps.transactionInfo.bind(twin.pumps);
  let probes = 0;
  twin.pumps.transactionInfo = (d) => {
    const answer = real(d);
    if (++probes === 1) posAuthorizes(twin); // between our probe ("not found") and our send
    return answer;
  };
  const auth = await outcome(driver.authorize(sale("OURS")));
  twin.pumps.transactionInfo = real;
  twin.deliver(1, 3_000); // the POS's customer fills
  expect({
    auth,
    phase: ((await store.get("tx/OURS")) as TxRecord).phase,
    record: await driver.saleRecord("OURS"),
    stops: received(twin, "PumpStop").length + received(twin, "PumpEmergencyStop").length,
    pos: twin.pumps.pumps.get(1)!.current && { user: twin.pumps.pumps.get(1)!.current!.userId, state: twin.pumps.pumps.get(1)!.current!.state },
  }).toEqual({ auth: 40, phase: "refused", record: undefined, stops: 0, pos: { user: 2, state: "Filling" } });
  await driver.stop(1); // the flow gives up: still nothing of ours to stop
  expect(received(twin, "PumpStop")).toEqual([]);
  expect(ofFlow(events.events, "OURS")).toEqual([]);
});

it("strict: our request never arrived, the POS took the number before our resend — the resend is refused (40) and nothing is charged or stopped", async () => {
  const twin = await startTwin({ userId: 1, strictAuthorize: true });
  const { driver, events, store } = await openDriver(twin, { controllerUserId: 1 });
  cleanup(() => driver.close(), () => twin.close());
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call");
  twin.inject({ type: "drop-request", packetType: "PumpAuthorize" });
  const real = twin.pumps.transactionInfo.bind(twin.pumps);
  let reads = 0;
  twin.pumps.transactionInfo = (d) => {
    const answer = real(d);
    if (++reads === 2) posAuthorizes(twin); // after the read-back that found our number absent
    return answer;
  };
  const auth = await outcome(driver.authorize(sale("OURS")));
  twin.pumps.transactionInfo = real;
  twin.deliver(1, 2_000);
  expect({ auth, phase: ((await store.get("tx/OURS")) as TxRecord).phase, record: await driver.saleRecord("OURS") }).toEqual({ auth: 40, phase: "refused", record: undefined });
  await driver.stop(1);
  expect(received(twin, "PumpStop")).toEqual([]);
  expect(twin.pumps.pumps.get(1)!.current).toMatchObject({ userId: 2, state: "Filling", milli: 2_000 });
});

it("strict: a pump holding the POS's waiting authorization refuses ours (40); the POS's authorization is not revoked", async () => {
  const twin = await startTwin({ userId: 1, strictAuthorize: true });
  const { driver, events } = await openDriver(twin, { controllerUserId: 1 });
  cleanup(() => driver.close(), () => twin.close());
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call");
  twin.hangUp(1);
  posAuthorizes(twin);
  expect(await outcome(driver.authorize(sale("OURS")))).toBe(40);
  await driver.stop(1);
  expect(received(twin, "PumpStop")).toEqual([]);
  expect(twin.pumps.pumps.get(1)!.current).toMatchObject({ userId: 2, state: "WaitingNozzleUpForAuthorization" });
});

it("strict: our own sale, its answer lost, is read back and settled once at the controller's figures (no same-number resend, so no 39)", async () => {
  const twin = await startTwin({ userId: 1, strictAuthorize: true });
  const { driver, events } = await openDriver(twin, { controllerUserId: 1 });
  cleanup(() => driver.close(), () => twin.close());
  // One confirmed sale corroborates the agent's id; the next one's answer is lost.
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call");
  await driver.authorize(sale("FIRST"));
  twin.deliver(1, 1_000);
  twin.hangUp(1);
  await waitUntil(() => twin.pumps.pumps.get(1)!.current?.state === "EndOfTransaction");
  expect(await driver.saleRecord("FIRST")).toMatchObject({ state: "finished", milli: 1_000 });
  await driver.settled("FIRST");
  await waitUntil(() => twin.pumps.pumps.get(1)!.current === undefined);
  await events.waitFor((e) => e.type === "nozzle" && !e.up);
  twin.liftNozzle(1, 1);
  await events.waitFor(() => events.count((e) => e.type === "call") === 2);
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  expect(await outcome(driver.authorize(sale("B")))).toBe("ok");
  expect(received(twin, "PumpAuthorize").length).toBe(2); // read back, never resent
  twin.deliver(1, 12_345);
  twin.hangUp(1);
  await waitUntil(() => twin.pumps.pumps.get(1)!.current?.state === "EndOfTransaction");
  const controller = twin.pumps.pumps.get(1)!.current!;
  expect(await driver.saleRecord("B")).toMatchObject({ state: "finished", milli: controller.milli, amountMinor: controller.amountMinor });
  expect(controller).toMatchObject({ userId: 1, milli: 12_345, amountMinor: 23443 });
  expect(events.count((e) => e.type === "end" && e.transactionId === "B")).toBe(1);
});
