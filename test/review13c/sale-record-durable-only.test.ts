// Review 13c C3 (MEDIUM): saleRecord answered from memory, ahead of the store. While an end's write
// was on its way (up to the store's 5 s busy timeout), the flow's read (stopping / checking-sale)
// saw `finished` and committed that figure; the write then failed and was undone, and the session
// ended later with another figure — the committed amount and the driver's durable record disagree.
// Sequence: a StopTransaction (meterStop 5 Wh) whose end write is held and then fails; the flow
// reads the sale meanwhile.
import { expect, it } from "vitest";
import { charging, GatedStore } from "./gated-store.ts";

it("saleRecord never answers an end whose write is still on its way and then fails", async () => {
  const store = new GatedStore();
  const { rig, cp, tx } = await charging(store);
  store.failNextSale({ hold: true });
  void cp.call("StopTransaction", { transactionId: tx, meterStop: 5, timestamp: new Date().toISOString(), reason: "Local" }, 60_000).catch(() => undefined);
  await new Promise<void>((resolve) => {
    const poll = () => (store.held ? resolve() : setImmediate(poll));
    poll();
  });
  const read = rig.driver.saleRecord("P1-flow-1"); // the flow's read while the end's write is on its way
  store.release(); // that write fails: the end is undone (the charger sends its StopTransaction again)
  const record = await read;
  cp.close();
  expect(record?.state).toBe("delivering"); // fails before: "finished" at 5 Wh, which the store never held
}, 20_000);
