// A station of three controllers for the daemon tests: the line board's pumps (virtual controller
// on loopback TCP), an OCPP charger (the agent listens; the virtual charge point connects over a
// real WebSocket) and PTS-2 pumps (the virtual PTS-2 over loopback HTTP) — all hosted in the test
// process, so they survive a SIGKILL of the agent child.
import { createServer } from "node:net";
import { join } from "node:path";
import { writeFile } from "node:fs/promises";
import { stringify } from "yaml";
import { VirtualChargePoint } from "../../simulator/devices/virtual-charge-point.ts";
import { VirtualController } from "../../simulator/devices/virtual-controller.ts";
import { VirtualPts2 } from "../../simulator/devices/virtual-pts2.ts";
import { startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";

export const LINE_POINT = 1;
export const CHARGER_POINT = 2;
export const PTS_POINT = 3;
export const AC22_PRICE = 349;
export const PTS_PRICE_95 = 1899;
export const terminalOf = (p: number) => `mc00000000000000000000000000000${p}`;

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

export interface Forecourt {
  readonly sim: RunningGlaseSimulator;
  readonly board: VirtualController;
  readonly pts: VirtualPts2;
  readonly ocppPort: number;
  /** A charge point CP-1 (connector 1 → point 2) connecting to the agent. */
  chargePoint(): VirtualChargePoint;
  invoicesOf(point: number): ReturnType<RunningGlaseSimulator["sim"]["dump"]>["invoices"];
  writeConfig(dir: string, patch?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export async function openForecourt(): Promise<Forecourt> {
  const points = [LINE_POINT, CHARGER_POINT, PTS_POINT];
  const sim = await startGlaseSimulator({
    port: 0,
    provision: {
      shops: [{ resellerId: "mc_shop", userId: "9900", password: "shop-pass", currency: "SEK", allowRefunds: true, receiverAllowsRefunds: true, blocked: false }],
      terminals: points.map((p) => ({ id: terminalOf(p), password: `pw-${p}-mc`, name: `point ${p}`, cashRegister: true, blocked: false })),
      tokens: [],
      settings: {},
      issuers: [],
    },
    settings: { autoCustomer: { enabled: true, confirmAfterMs: 200 } },
  });
  const board = new VirtualController({ grades: [{ id: "D", name: "Diesel", unit: "L", unitPriceMinor: 1949, vatRatePercent: 25 }], points: [{ id: LINE_POINT, gradeIds: ["D"] }], flowRateMilliPerSec: 2_000 });
  const boardPort = await board.listenTcp(0);
  const pts = new VirtualPts2({ grades: [{ id: 1, name: "Blyfri 95", priceMinor: PTS_PRICE_95 }], pumps: [{ pump: 1, nozzles: [1] }], flowRateMilliPerSec: 1_000 });
  await pts.listen(0);
  const ocppPort = await freePort();
  const chargePoints: VirtualChargePoint[] = [];
  return {
    sim,
    board,
    pts,
    ocppPort,
    chargePoint() {
      const cp = new VirtualChargePoint({ endpoint: `ws://127.0.0.1:${ocppPort}/ocpp`, identity: "CP-1", secondMs: 50, powerW: 36_000, reconnectMs: 200 });
      chargePoints.push(cp);
      return cp;
    },
    invoicesOf: (point) => sim.sim.dump().invoices.filter((i) => i.terminalId === terminalOf(point)),
    async writeConfig(dir, patch = {}) {
      const file = join(dir, "station.yaml");
      await writeFile(
        file,
        stringify({
          version: 3,
          station: { name: "Three Controllers", currency: "SEK" },
          glase: { endpoint: sim.endpoint, clientId: "mc", timeouts: { requestMs: 5000, pollIntervalMs: 300 }, reseller: { id: "mc_shop", password: "shop-pass" } },
          points: [
            { id: LINE_POINT, kind: "fuel", grades: ["D"], maxPreliminaryMinor: 50_000, terminal: { id: terminalOf(LINE_POINT), password: `pw-${LINE_POINT}-mc` } },
            { id: CHARGER_POINT, kind: "ev", grades: ["AC22"], maxPreliminaryMinor: 30_000, terminal: { id: terminalOf(CHARGER_POINT), password: `pw-${CHARGER_POINT}-mc` } },
            { id: PTS_POINT, kind: "fuel", grades: ["95"], maxPreliminaryMinor: 50_000, terminal: { id: terminalOf(PTS_POINT), password: `pw-${PTS_POINT}-mc` } },
          ],
          devices: {
            controllers: [
              { id: "board", driver: "line", link: { kind: "tcp", host: "127.0.0.1", port: boardPort }, points: [LINE_POINT] },
              {
                id: "chargers",
                driver: "ocpp16",
                listen: { host: "127.0.0.1", port: ocppPort },
                grades: [{ id: "AC22", name: "AC 22 kW", unitPriceMinor: AC22_PRICE, vatRatePercent: 25 }],
                chargers: [{ id: "CP-1", connectors: [{ connectorId: 1, point: CHARGER_POINT }] }],
                meterSampleIntervalS: 1,
                chargerSecondMs: 50, // its virtual charge point runs secondMs 50
                simulatedChargers: true, // an external virtual fleet: the config check refuses a scaled second on real chargers
                syncTimeoutS: 2,
                lateStopWaitS: 5,
              },
              {
                id: "forecourt",
                driver: "pts2",
                url: pts.url,
                auth: { scheme: "none" },
                points: [{ point: PTS_POINT, pump: 1 }],
                grades: [{ id: "95", ptsFuelGradeId: 1, name: "Blyfri 95", unitPriceMinor: PTS_PRICE_95, vatRatePercent: 25 }],
                pollIntervalMs: 100,
                priceCheckIntervalMs: 1000,
              },
            ],
          },
          stateDir: join(dir, "state"),
          sockets: { dir: join(dir, "run") },
          flows: { reservationWaitS: 60, deliveryStallS: 20, retryBaseMs: 200, retryMaxMs: 2000, drainTimeoutS: 30 },
          ...patch,
        }),
      );
      return file;
    },
    async close() {
      for (const cp of chargePoints) await cp.close();
      await board.close();
      await pts.close();
      await sim.close();
    },
  };
}
