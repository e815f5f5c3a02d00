// PTS-2 driver tests: the real driver (openPts2Controller) over loopback HTTP to the virtual PTS-2.
// The twin's hydraulics run on a manual SimClock (tests meter with deliver()), the driver on real
// time with a short poll interval; tests wait on the driver's events, never sleep.
import type { DispenserEvent } from "../../../contracts/dispenser.ts";
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

/** The agent restarted: `before`'s driver closed, a new one opened on the same store (its journal of sales). */
export async function restartDriver(twin: VirtualPts2, before: OpenedDriver, overrides: Partial<Pts2ConfigInput> = {}): Promise<OpenedDriver> {
  await before.driver.close();
  return openDriver(twin, overrides, before.store);
}

/** A sale of grade 95 on `point` with a 500 SEK limit. */
export const sale = (id: string, point = 1) => ({ point, limitMinor: 50000, currency: "SEK", transactionId: id, gradeId: "95" });

/** "ok", or the AgentError code the call was refused with. */
export const outcome = (p: Promise<unknown>): Promise<string> => p.then(() => "ok", (e: { context?: { code?: string }; code?: string }) => e.context?.code ?? e.code ?? "error");

/** The codes of the driver's fault events, in order. */
export const faults = (events: DispenserEvent[]): string[] => events.flatMap((e) => (e.type === "fault" ? [e.code] : []));

/** The controller's users table re-created: the agent's login now authorizes as another UserId. */
export function agentLoginIsNowUser(twin: VirtualPts2, userId: number): void {
  const t = twin as unknown as { options: VirtualPts2Options };
  t.options = { ...t.options, userId };
}

/**
 * The attendant's POS (user 2) authorizes pump 1 under the number the driver's probe has just found
 * free, before the driver's own PumpAuthorize (no number: the controller's next). Once. Returns the
 * undo (the twin's own transaction reads again).
 */
export function posTakesProbedNumber(twin: VirtualPts2): () => void {
  const real = twin.pumps.transactionInfo.bind(twin.pumps);
  let taken = false;
  twin.pumps.transactionInfo = (d) => {
    const answer = real(d);
    if (!taken && !answer.ok && d.Transaction === twin.pumps.pumps.get(1)!.nextTransaction) {
      taken = true;
      const mine = twin.pumps.requestUser;
      twin.pumps.requestUser = 2;
      twin.pumps.authorize({ Pump: 1, Nozzle: 1, Type: "Volume", Dose: 30, Price: 18.99 });
      twin.pumps.requestUser = mine;
    }
    return answer;
  };
  return () => {
    twin.pumps.transactionInfo = real;
  };
}

/**
 * R9-2's firmware: numbers from its own counter and does not echo Transaction in
 * PumpAuthorizeConfirmation. While `dropNextUserCheck.on`, the user check's read right after a
 * confirmation is not answered, once (a busy controller, a cut link).
 */
export function renumberingSilently(twin: VirtualPts2, dropNextUserCheck: { on: boolean } = { on: false }): void {
  const real = twin.pumps.authorize.bind(twin.pumps);
  twin.pumps.authorize = (d) => {
    const p = twin.pumps.pumps.get(d.Pump as number)!;
    p.nextTransaction = Math.max(p.nextTransaction, 40) + 4;
    const { Transaction: _ignored, ...rest } = d;
    const o = real(rest);
    if (o.ok && dropNextUserCheck.on) {
      dropNextUserCheck.on = false;
      twin.inject({ type: "drop-answer", packetType: "PumpGetTransactionInformation" });
    }
    return o.ok ? { ok: true, data: { Pump: o.data.Pump } } : o;
  };
}

/**
 * Once an authorization that `starts` picks is confirmed, every PumpGetTransactionInformation of
 * pump 1 is answered "busy" (41) — its user check stays pending — until the returned switch's `on`
 * is set false.
 */
export function busyReadsAfterAuthorize(twin: VirtualPts2, starts: (d: Record<string, unknown>) => boolean): { on: boolean } {
  const busy = { on: false };
  const realInfo = twin.pumps.transactionInfo.bind(twin.pumps);
  twin.pumps.transactionInfo = (d) => (busy.on && d.Pump === 1 ? { ok: false, code: 41 } : realInfo(d)) as ReturnType<typeof realInfo>;
  const realAuth = twin.pumps.authorize.bind(twin.pumps);
  twin.pumps.authorize = (d) => {
    const o = realAuth(d);
    if (o.ok && starts(d)) busy.on = true;
    return o;
  };
  return busy;
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
