// The station's point router: commands go to the controller owning the point, events come out
// tagged with their controller (a link change names its points), and a sale record is "none"
// only when every controller answered without one — a controller that could not be asked makes
// it a failure the flow retries, never a wrong "nothing was delivered".
import { expect, it } from "vitest";
import { isAgentError } from "../../agent/errors.ts";
import type { DispenserController, DispenserEvent, SaleRecord } from "../../drivers/dispenser/contract.ts";
import { PointRouter } from "../../drivers/dispenser/point-router.ts";

/** A hand-made controller: records its commands, emits what the test says, answers sale records from a map. */
function fake(sales: Map<string, SaleRecord> | "down") {
  const listeners = new Set<(e: DispenserEvent) => void>();
  const calls: string[] = [];
  const c: DispenserController & { emit(e: DispenserEvent): void; calls: string[] } = {
    calls,
    emit: (e) => listeners.forEach((l) => l(e)),
    onEvent: (l) => (listeners.add(l), () => listeners.delete(l)),
    hello: async () => ({ protocolVersion: "1", firmware: "f", points: 1 }),
    status: async () => [],
    prices: async () => [],
    authorize: async (cmd) => void calls.push(`authorize ${cmd.point} ${cmd.transactionId}`),
    stop: async (p) => void calls.push(`stop ${p}`),
    display: async (p) => void calls.push(`display ${p}`),
    saleRecord: async (id) => {
      if (sales === "down") throw new Error("link down");
      return sales.get(id);
    },
    settled: async (id) => void calls.push(`settled ${id}`),
    close: async () => undefined,
  };
  return c;
}

const sale = (id: string, point: number): SaleRecord => ({ transactionId: id, point, state: "finished", milli: 1000, amountMinor: 349, limitMinor: 5000 });

it("routes every command by point and tags events with their controller", async () => {
  const board = fake(new Map());
  const chargers = fake(new Map());
  const router = new PointRouter([
    { id: "board", points: [1, 2], dispenser: board },
    { id: "chargers", points: [5], dispenser: chargers },
  ]);
  const seen: DispenserEvent[] = [];
  router.onEvent((e) => seen.push(e));
  await router.authorize({ point: 5, limitMinor: 100, currency: "SEK", transactionId: "F5" });
  await router.stop(2);
  await router.display(1, "hi");
  expect(chargers.calls).toEqual(["authorize 5 F5"]);
  expect(board.calls).toEqual(["stop 2", "display 1"]);
  await expect(router.stop(9)).rejects.toSatisfy((e) => isAgentError(e, "DEVICE_REJECTED"));

  chargers.emit({ type: "link", up: false });
  chargers.emit({ type: "fault", point: null, code: "X", message: "m" });
  board.emit({ type: "call", point: 5 }); // the board does not own point 5: not routed
  board.emit({ type: "call", point: 1 });
  expect(seen).toEqual([
    { type: "link", up: false, controller: "chargers", points: [5] },
    { type: "fault", point: null, code: "X", message: "m", controller: "chargers" },
    { type: "call", point: 1 },
  ]);
});

it("a sale record is found on whichever controller has it; 'none' only when every controller answered", async () => {
  const up = fake(new Map([["F1", sale("F1", 1)]]));
  const down = fake("down");
  const router = new PointRouter([
    { id: "board", points: [1], dispenser: up },
    { id: "forecourt", points: [3], dispenser: down },
  ]);
  expect(await router.saleRecord("F1")).toMatchObject({ transactionId: "F1", amountMinor: 349 });
  await expect(router.saleRecord("F3")).rejects.toThrow("link down"); // forecourt could not say
  const allUp = new PointRouter([{ id: "board", points: [1], dispenser: up }]);
  expect(await allUp.saleRecord("F3")).toBeUndefined();
});

it("settled goes to the controller that authorized the transaction (all of them after a restart)", async () => {
  const a = fake(new Map());
  const b = fake(new Map());
  const router = new PointRouter([
    { id: "a", points: [1], dispenser: a },
    { id: "b", points: [2], dispenser: b },
  ]);
  await router.authorize({ point: 2, limitMinor: 100, currency: "SEK", transactionId: "F2" });
  await router.settled("F2");
  await router.settled("OLD");
  expect(a.calls).toEqual(["settled OLD"]);
  expect(b.calls).toEqual(["authorize 2 F2", "settled F2", "settled OLD"]);
  expect(() => new PointRouter([{ id: "a", points: [1], dispenser: a }, { id: "b", points: [1], dispenser: b }])).toThrow(/point 1 is driven by both/);
});
