// PTS-2 driver tests: the real driver (openPts2Controller) over loopback HTTP to the virtual PTS-2.
// The twin's hydraulics run on a manual SimClock (tests meter with deliver()), the driver on real
// time with a short poll interval; tests wait on the driver's events, never sleep.
import { systemScheduler } from "../../../drivers/dispenser/line-driver.ts";
import { MemoryDriverStore, type DriverStore } from "../../../drivers/driver-store.ts";
import { openPts2Controller, type OpenedPts2Controller, type Pts2ConfigInput } from "../../../drivers/pts2/index.ts";
import { createLogger } from "../../../agent/log.ts";
import { SimClock } from "../../../simulator/clock.ts";
import { VirtualPts2, type VirtualPts2Options } from "../../../simulator/devices/virtual-pts2.ts";
import { EventLog } from "../dispenser/helpers.ts";

export { EventLog, closeAfterEach, waitUntil } from "../dispenser/helpers.ts";

export const GRADES: Pts2ConfigInput["grades"] = [
  { id: "95", ptsFuelGradeId: 1, name: "Blyfri 95", unitPriceMinor: 1899, vatRatePercent: 25 },
  { id: "D", ptsFuelGradeId: 2, name: "Diesel", unitPriceMinor: 2049, vatRatePercent: 25 },
];

export async function startTwin(options: VirtualPts2Options = {}): Promise<VirtualPts2> {
  const twin = new VirtualPts2({ scheduler: new SimClock({ manual: true }), pumps: 2, ...options });
  await twin.listen(0);
  return twin;
}

export interface OpenedDriver {
  readonly driver: OpenedPts2Controller;
  readonly events: EventLog;
  readonly store: DriverStore;
}

/**
 * The driver on the twin. Without a `controllerUserId` override it runs as a station that has sold
 * before: its id (1, the twin's HTTP user) already corroborated by a confirmed authorization
 * (`meta/userVerified`, own-user.ts) — a configured id is otherwise only a claim, and a lost
 * answer before the first confirmed sale parks (review 4, R4-1). A test that sets its own
 * controllerUserId starts uncorroborated, as a fresh install does.
 */
export async function openDriver(twin: VirtualPts2, overrides: Partial<Pts2ConfigInput> = {}, store: DriverStore = new MemoryDriverStore()): Promise<OpenedDriver> {
  if (!("controllerUserId" in overrides) && (await store.get("meta/userVerified")) === undefined) await store.put("meta/userVerified", { userId: 1 });
  const events = new EventLog();
  const driver = await openPts2Controller(
    {
      url: twin.url,
      auth: { scheme: "none" },
      controllerUserId: 1, // the twin's HTTP user (its attendant POS is user 2)
      currency: "SEK",
      points: [
        { point: 1, pump: 1 },
        { point: 2, pump: 2 },
      ],
      grades: GRADES,
      pollIntervalMs: 20,
      requestTimeoutMs: 1000,
      stopTimeoutMs: 1000,
      openTimeoutMs: 3000,
      ...overrides,
    },
    { logger: createLogger("test.pts2"), scheduler: systemScheduler, store },
  );
  driver.onEvent(events.push);
  return { driver, events, store };
}

/** The packets of a type the twin received, with their Data. */
export function received(twin: VirtualPts2, type: string): Array<Record<string, unknown>> {
  return twin.received.filter((p) => p.Type === type).map((p) => p.Data);
}

/** Runs a direct twin call as the agent's controller user (1) — a request of ours that arrived late; a direct call is otherwise the attendant's POS (user 2). */
export function asAgent<T>(twin: VirtualPts2, run: () => T): T {
  twin.pumps.requestUser = 1;
  try {
    return run();
  } finally {
    twin.pumps.requestUser = undefined;
  }
}
