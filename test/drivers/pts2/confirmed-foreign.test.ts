// A confirmation to our FIRST PumpAuthorize of a number is not proof by itself. The default twin
// (like a controller that takes a same-number request as "the same request again" whoever sent
// the first one — the assumption review 5's R5-4 fix made for resends) confirms our send when the
// attendant's POS authorized that very number between our probe and our send: its automatic
// numbering picks LastTransaction + 1, as the driver does. With the agent's id corroborated, the
// UserId read back (the POS's) contradicts it. Found while adding the strict twin profile
// (strict-twin.test.ts); failed on 5f17a87 (our flow reported the POS's 3 L as delivering).
// Review 8 (R8-1): the same contradiction is OUR sale when the controller's users were re-created,
// so it decides nothing by itself — the sale is parked (PTS_OWNERSHIP_UNKNOWN, PTS_USER_MISMATCH):
// never charged to our customer without a technician's decision, never stopped; `disown` ends it.
import { expect, it } from "vitest";
import type { TxRecord } from "../../../drivers/pts2/transactions.ts";
import { closeAfterEach, faults, openDriver, outcome, posTakesProbedNumber, received, sale, startTwin, waitUntil } from "./helpers.ts";

const cleanup = closeAfterEach();

it("the POS's authorization under our just-probed number, confirmed to our first send (default twin): parked for a technician (PTS_OWNERSHIP_UNKNOWN + PTS_USER_MISMATCH), not charged, not stopped; disowned, nothing charged", async () => {
  const twin = await startTwin({ userId: 1 });
  const { driver, events, store } = await openDriver(twin, { controllerUserId: 1 });
  cleanup(() => driver.close(), () => twin.close());
  // One confirmed sale corroborates the agent's id (user 1).
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call");
  await driver.authorize(sale("FIRST"));
  twin.deliver(1, 1_000);
  twin.hangUp(1);
  await waitUntil(() => twin.pumps.pumps.get(1)!.current?.state === "EndOfTransaction");
  await driver.saleRecord("FIRST");
  await driver.settled("FIRST");
  await waitUntil(() => twin.pumps.pumps.get(1)!.current === undefined);
  await events.waitFor((e) => e.type === "nozzle" && !e.up);
  twin.liftNozzle(1, 1);
  await events.waitFor(() => events.count((e) => e.type === "call") === 2);
  // Our probe finds the next number free; the POS authorizes it (no number: the controller's next) before our send.
  const undoPos = posTakesProbedNumber(twin);
  const auth = await outcome(driver.authorize(sale("OURS")));
  undoPos();
  twin.deliver(1, 3_000); // the POS's customer fills
  expect({
    auth,
    record: await outcome(driver.saleRecord("OURS")),
    book: ((await store.get("tx/OURS")) as TxRecord).phase,
    faults: faults(events.events),
  }).toEqual({ auth: "PTS_OWNERSHIP_UNKNOWN", record: "PTS_OWNERSHIP_UNKNOWN", book: "authorizing", faults: ["PTS_USER_MISMATCH", "PTS_OWNERSHIP_UNKNOWN"] });
  await driver.stop(1); // the flow gives the parked sale up: the stop gate withholds it (filling)
  // The technician checks the transaction on the controller: the POS's (`ctl resolve OURS disown`).
  await driver.resolveSale("OURS", "not-ours");
  expect({ record: await driver.saleRecord("OURS"), book: ((await store.get("tx/OURS")) as TxRecord).phase }).toEqual({ record: undefined, book: "refused" });
  await driver.settled("OURS");
  expect(received(twin, "PumpStop")).toEqual([]);
  expect(twin.pumps.pumps.get(1)!.current).toMatchObject({ userId: 2, state: "Filling", milli: 3_000 });
  // Between the confirmation's write and the UserId read that refuses it, one poll may report the
  // POS's fill as ours at 0 ml; none of the POS's fuel is ever reported for our flow.
  expect(events.events.filter((e) => e.type === "progress" && e.transactionId === "OURS" && e.milli > 0)).toEqual([]);
});
