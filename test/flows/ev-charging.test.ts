// EV charging is the preliminary flow in kWh (issue 3): same reservation, authorization and
// settlement, with quantities in watt-hours and rows priced per kWh. In process: engine + real
// journal + GlaseClient over HTTP to the simulator + the in-memory controller twin.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { Grade } from "../../drivers/dispenser/contract.ts";
import { InMemoryDispenser } from "../../drivers/dispenser/in-memory.ts";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { PROVISION, TERMINALS, openStation, until, type Station } from "./harness/station.ts";

const AC22: Grade = { id: "AC22", name: "AC 22 kW", unit: "kWh", unitPriceMinor: 349, vatRatePercent: 25 };

let dir: string;
let sim: RunningGlaseSimulator;
let station: Station;
let charger: InMemoryDispenser;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "ev-"));
  sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION) });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 200 });
  charger = new InMemoryDispenser({ points: 1, grades: [AC22] });
  station = await openStation({
    journalPath: join(dir, "journal.db"),
    endpoint: sim.endpoint,
    dispenser: charger,
    points: [{ id: 1, kind: "ev", terminal: TERMINALS[0]!, currency: "SEK", maxPreliminaryMinor: 30000, stationName: "Test Charging", grades: [AC22] }],
  });
  await station.engine.start();
});

afterEach(async () => {
  await station.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

it("a charging session settles the metered kWh: reserved maximum, commit of the metered amount, rows in kWh", async () => {
  charger.customerCall(1);
  await until("authorized", () => station.engine.snapshot().points.find((p) => p.point === 1)?.state === "authorized");
  charger.liftNozzle(1, "AC22"); // cable plugged
  charger.deliver(1, 7_500); // 7.500 kWh
  charger.hangUp(1); // cable unplugged
  const flow = await until("a finished flow", () => station.engine.snapshot().flows.find((f) => f.finished));
  expect(flow.outcome).toBe("paid");

  const meteredMinor = Math.floor((7_500 * 349 + 500) / 1000); // 26.18 SEK, computed independently of the agent
  const invoices = sim.sim.dump().invoices.filter((i) => i.terminalId === TERMINALS[0]!.terminalId);
  expect(invoices).toHaveLength(1);
  expect(invoices[0]).toMatchObject({ status: "PAID", reservedMinor: 30000, paidMinor: meteredMinor, commitCalls: 1 });
  // updateInvoice recorded the final row: the metered energy at the price per kWh, summing to the total.
  expect(invoices[0]!.invoice).toMatchObject({
    invoiceRows: [{ itemQuantity: "7.500", itemUnit: "kWh", itemUnitPrice: { minor: 349 }, itemTotalAmount: { minor: meteredMinor } }],
    totalAmount: { minor: meteredMinor },
  });

  const [receipt] = await station.engine.receipts();
  expect(receipt?.content).toMatchObject({ amountMinor: meteredMinor, milli: 7_500, unit: "kWh", description: "Glase payment" });
});
