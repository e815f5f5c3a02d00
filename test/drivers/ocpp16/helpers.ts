// Test rig for the OCPP 1.6J driver: the real driver listening on an ephemeral loopback port,
// virtual charge points connecting to it over real WebSockets, a MemoryDriverStore that outlives
// a driver (an agent restart is a new driver on the same store), and every OCPP frame both sides
// exchanged, for the independent schema check.
import type { Scheduler } from "../../../agent/core/clock.ts";
import { createLogger } from "../../../agent/log.ts";
import type { AuthorizeCommand, DispenserEvent } from "../../../drivers/dispenser/contract.ts";
import { systemScheduler } from "../../../drivers/dispenser/line-driver.ts";
import { MemoryDriverStore, type DriverStore } from "../../../drivers/driver-store.ts";
import { openOcpp16Controller, type Ocpp16Controller, type Ocpp16ConfigInput } from "../../../drivers/ocpp16/index.ts";
import { VirtualChargePoint, type VirtualChargePointOptions } from "../../../simulator/devices/virtual-charge-point.ts";
import { EventLog, closeAfterEach } from "../dispenser/helpers.ts";

export { EventLog, closeAfterEach, waitUntil } from "../dispenser/helpers.ts";

export const AC22 = { id: "AC22", name: "AC 22 kW", unitPriceMinor: 349, vatRatePercent: 25 };

/** One charger CP-1, connector 1 → point 1, fast timings (charger seconds of 50 ms in the rigs). */
export function testConfig(patch: Partial<Ocpp16ConfigInput> = {}): Ocpp16ConfigInput {
  return {
    listen: { host: "127.0.0.1", port: 0, path: "/ocpp" },
    currency: "SEK",
    grades: [AC22],
    chargers: [{ id: "CP-1", connectors: [{ connectorId: 1, point: 1 }] }],
    meterSampleIntervalS: 1,
    chargerSecondMs: 50, // as the rig's virtual charge point (secondMs 50): its rated powers are in charger time
    stopTimeoutS: 1.5,
    syncTimeoutS: 1,
    lateStopWaitS: 1.5,
    callTimeoutS: 3,
    ...patch,
  };
}

export interface Rig {
  readonly driver: Ocpp16Controller;
  readonly events: EventLog;
  readonly store: DriverStore;
  /** A charge point connected to this driver (default CP-1, 50 ms seconds, 36 kW). */
  chargePoint(options?: Partial<VirtualChargePointOptions>, beforeConnect?: (cp: VirtualChargePoint) => void): Promise<VirtualChargePoint>;
  /** Closes the driver and opens a new one on the same store and port (an agent restart). */
  restart(): Promise<Rig>;
}

const register = closeAfterEach();

export async function openRig(config: Ocpp16ConfigInput = testConfig(), opts: { store?: DriverStore; scheduler?: Scheduler } = {}): Promise<Rig> {
  const store = opts.store ?? new MemoryDriverStore();
  const events = new EventLog();
  const driver = await openOcpp16Controller(config, { logger: createLogger("test.ocpp"), scheduler: opts.scheduler ?? systemScheduler, store });
  driver.onEvent(events.push);
  register(() => driver.close());
  const port = driver.port;
  return {
    driver,
    events,
    store,
    async chargePoint(options = {}, beforeConnect) {
      const cp = new VirtualChargePoint({ endpoint: driver.url, identity: "CP-1", secondMs: 50, powerW: 36_000, reconnectMs: 100, ...options });
      register(() => cp.close());
      beforeConnect?.(cp);
      await cp.connect();
      return cp;
    },
    async restart() {
      await driver.close();
      return openRig({ ...config, listen: { ...config.listen, port } }, { store, ...(opts.scheduler ? { scheduler: opts.scheduler } : {}) });
    },
  };
}

export function authorizeCmd(patch: Partial<AuthorizeCommand> = {}): AuthorizeCommand {
  return { point: 1, limitMinor: 30_000, currency: "SEK", transactionId: "P1-flow-1", ...patch };
}

export const isEnd = (e: DispenserEvent): e is Extract<DispenserEvent, { type: "end" }> => e.type === "end";
export const endOn =
  (point: number) =>
  (e: DispenserEvent): e is Extract<DispenserEvent, { type: "end" }> =>
    e.type === "end" && e.point === point;
export const isCall = (e: DispenserEvent): e is Extract<DispenserEvent, { type: "call" }> => e.type === "call";
export const isProgress = (e: DispenserEvent): e is Extract<DispenserEvent, { type: "progress" }> => e.type === "progress";
export const isFault = (e: DispenserEvent): e is Extract<DispenserEvent, { type: "fault" }> => e.type === "fault";

/** Waits until the driver has the charger connected and reported (what a flow's first command needs). */
export async function synced(rig: Rig, id = "CP-1"): Promise<void> {
  const { waitUntil } = await import("../dispenser/helpers.ts");
  await waitUntil(() => rig.driver.chargers().some((c) => c.chargePointId === id && c.connected && c.synced), 10_000, `${id} synced`);
}

/** A cable plugged in and the call seen, then authorized: a session in the state the flows create it. */
export async function pluggedAndAuthorized(rig: Rig, cp: VirtualChargePoint, cmd: AuthorizeCommand = authorizeCmd()): Promise<void> {
  await synced(rig);
  cp.plug(1);
  await rig.events.waitFor(isCall, 5_000, "call");
  await rig.driver.authorize(cmd);
}

/**
 * The declared time of a scripted charger (the review12* hand chargers): it delivers its scripted
 * energy — up to a few kWh — within tens of milliseconds of the agent's time, which no real
 * connector can, and the meterStop bound (metering.ts) rightly calls that impossible. So such a rig
 * declares what it models: a 350 kW DC connector whose second is 0.1 ms of the agent's time (700
 * Wh in 2 ms, as scripted; its meter timestamps are the real clock, as the agent's: the bound is
 * on that).
 */
export function scriptedTime(config: Ocpp16ConfigInput = testConfig()): Ocpp16ConfigInput {
  return { ...config, chargerSecondMs: 0.1, chargers: config.chargers.map((c) => ({ maxPowerW: 350_000, ...c })) };
}
