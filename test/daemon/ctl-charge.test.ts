// `glase-agent ctl resolve FLOW charge AMOUNT` end to end: the real CLI as a child process, the
// real socket servers, the real engine and journal over SOAP to the STRICT Glase simulator. A sale
// parked dispenser-unreachable (its record unreadable until the commit deadline) is charged at the
// amount a technician read off the pump and ends PAID at that amount; before the feature its only
// exits released the reservation. Bad amounts are refused with their code and change nothing.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, expect, it } from "vitest";
import { ControlClient, ControlRequestError } from "../../agent/daemon/sockets/client.ts";
import { startSocketServers, type SocketServers } from "../../agent/daemon/sockets/server.ts";
import type { ParkedAction } from "../../agent/engine-api.ts";
import { createLogger } from "../../agent/log.ts";
import { InMemoryDispenser } from "../../drivers/dispenser/in-memory.ts";
import type { RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { TERMINALS, until, type Station } from "../flows/harness/station.ts";
import { closeStrictStation, openStrictStation } from "../flows/harness/strict-station.ts";
import { TestStation } from "./test-station.ts";

const exec = promisify(execFile);
// The flow parks at the commit deadline, a margin (8 s) before the reservation lapses: the charge
// must land within that margin, a CLI start (seconds on a loaded machine) included.
const SETTINGS = { commitReservationTimeoutS: 20, commitSafetyMarginS: 8, deliveryStallMs: 400 };

let dir: string, sim: RunningGlaseSimulator, station: Station, servers: SocketServers, admin: ControlClient;
let pumps: InMemoryDispenser;
beforeEach(async () => {
  pumps = new InMemoryDispenser({ points: 2 });
  ({ dir, sim, station } = await openStrictStation({ dirPrefix: "ctl-charge-", dispenser: pumps, confirmAfterMs: 100, pointIds: [1], settings: SETTINGS }));
  // The socket layer as the daemon runs it, with the engine's resolveParked behind it.
  const control = new TestStation();
  control.resolveParked = (flowId: string, action: ParkedAction, amountMinor?: number) => station.engine.resolveParked(flowId, action, amountMinor);
  servers = await startSocketServers({ dir: join(dir, "run"), control, logger: createLogger("test") });
  admin = await ControlClient.connect(servers.adminPath);
});
afterEach(async () => {
  admin.close();
  await servers.close();
  await closeStrictStation({ dir, sim, station });
});

const flows = () => station.engine.snapshot().flows;
const invoices = () => sim.sim.dump().invoices.filter((i) => i.terminalId === TERMINALS[0]!.terminalId);

async function ctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, ["bin/glase-agent.js", "ctl", ...args, "--socket-dir", join(dir, "run")], { cwd: process.cwd() });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e: any) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ControlRequestError) return e.remoteCode;
    throw e;
  }
  throw new Error("expected the request to fail");
}

/** A customer fuels 0.500 L of 95, then the board's link drops: parked dispenser-unreachable at the commit deadline. */
async function parkedUnreadable(): Promise<string> {
  pumps.customerCall(1, { gradeId: "95" });
  const flow = await until("flow", () => flows().find((f) => f.point === 1));
  await until("authorized", () => flows().find((f) => f.flowId === flow.flowId && f.state === "authorized"));
  pumps.liftNozzle(1, "95");
  pumps.deliver(1, 500);
  pumps.setLink(false);
  await until("parked", () => flows().find((f) => f.flowId === flow.flowId && f.parked), 25_000);
  expect(invoices().map((i) => i.status)).toEqual(["RESERVED"]);
  return flow.flowId;
}

it("a parked sale charged through ctl ends PAID at the amount; bad amounts are refused and change nothing", async () => {
  const flowId = await parkedUnreadable();
  // Refused by the socket's schema (0, a fraction, an amount on another action, none on a charge) and by the engine (above the reservation).
  expect(await codeOf(admin.request("resolve", { flowId, action: "charge", amountMinor: 0 }))).toBe("BAD_ARGS");
  expect(await codeOf(admin.request("resolve", { flowId, action: "charge", amountMinor: 12.5 }))).toBe("BAD_ARGS");
  expect(await codeOf(admin.request("resolve", { flowId, action: "charge" }))).toBe("BAD_ARGS");
  expect(await codeOf(admin.request("resolve", { flowId, action: "cancel", amountMinor: 1234 }))).toBe("BAD_ARGS");
  expect(await codeOf(admin.request("resolve", { flowId, action: "charge", amountMinor: 50001 }))).toBe("CONFLICT");
  expect(flows().find((f) => f.flowId === flowId)?.parked).toBe(true);
  expect(invoices().map((i) => i.status)).toEqual(["RESERVED"]);

  const charged = await ctl("resolve", flowId, "charge", "12.34");
  expect(charged.code, charged.stderr).toBe(0);
  await until("paid", () => flows().find((f) => f.flowId === flowId && f.finished && f.outcome === "paid"), 10_000);
  expect(invoices()).toMatchObject([{ status: "PAID", paidMinor: 1234, totalMinor: 1234 }]);
  // The invoice row shows the volume worked out from the grade's price: 12.34 / 18.99 = 0.650 L.
  expect(invoices()[0]!.invoice.invoiceRows).toMatchObject([{ itemSKU: "95", itemQuantity: "0.650", itemTotalAmount: { minor: 1234 } }]);
  const receipt = await station.engine.receiptOf(invoices()[0]!.ersReference!);
  expect(receipt).toMatchObject({ flowId, content: { amountMinor: 1234, milli: 650, unitPriceMinor: 1899 } });
  // The journal keeps the technician's figure with the action.
  expect((await station.engine.journalTail(200)).some((e) => e.flowId === flowId && e.input === "technician charge 1234")).toBe(true);
  // Charged once: a second charge is refused (its figures are known now).
  expect(await codeOf(admin.request("resolve", { flowId, action: "charge", amountMinor: 1234 }))).toBe("NOT_FOUND");
}, 90_000);

it("ctl resolve FLOW charge without an amount, or with 0, is a usage error: nothing is sent", async () => {
  const flowId = await parkedUnreadable();
  for (const args of [["resolve", flowId, "charge"], ["resolve", flowId, "charge", "0"], ["resolve", flowId, "cancel", "12.34"]]) {
    const r = await ctl(...args);
    expect(r.code, args.join(" ")).toBe(2);
  }
  expect(flows().find((f) => f.flowId === flowId)?.parked).toBe(true);
  // Nothing was updated or committed (the reservation itself may lapse meanwhile: three CLI starts).
  expect(invoices().map((i) => [i.totalMinor, i.paidMinor])).toEqual([[50000, undefined]]);
}, 90_000);
