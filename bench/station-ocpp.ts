// BENCH_OCPP=1 for bench/station.bench.ts: the station's points are EV chargers, one virtual OCPP
// 1.6J charge point per point connecting to the agent's central system over a real WebSocket on
// loopback; each customer plugs in, charges once the agent starts the session (a 36 kW car on a
// charger whose second lasts 50 ms: ~0.2 kWh per real second), unplugs at a random target and
// comes back. The settled figures are checked against what each charger's StopTransaction metered.
import { priceOf } from "../base/money.ts";
import { VirtualChargePoint } from "../simulator/devices/virtual-charge-point.ts";

export const AC_PRICE = 349;
const chargerId = (p: number) => `CP-${p}`;

export function ocppPoints(pointIds: readonly number[], terminalOf: (p: number) => string) {
  return pointIds.map((p) => ({ id: p, kind: "ev", grades: ["AC22"], maxPreliminaryMinor: 50_000, terminal: { id: terminalOf(p), password: `pw-${p}` } }));
}

export function ocppControllers(pointIds: readonly number[], port: number) {
  return [
    {
      id: "chargers",
      driver: "ocpp16",
      listen: { host: "127.0.0.1", port },
      grades: [{ id: "AC22", name: "AC 22 kW", unitPriceMinor: AC_PRICE, vatRatePercent: 25 }],
      chargers: pointIds.map((p) => ({ id: chargerId(p), connectors: [{ connectorId: 1, point: p }] })),
      // 10 charger seconds = 0.5 s real: a progress report every half second per session.
      meterSampleIntervalS: 10,
      // The fleet's charger second lasts 50 ms (startChargers): the agent must know it, or the
      // energy of a session is more than any 22 kW connector could meter in the real time it
      // took, and the meterStop plausibility bound (review 10) rightly refuses it.
      chargerSecondMs: 50,
      // An external simulated fleet (not `virtual:`): what lets the config check accept a charger second other than 1000 ms.
      simulatedChargers: true,
    },
  ];
}

export interface ChargerFleet {
  readonly loops: Promise<void>[];
  /** Amount each finished session metered, per point, in order. */
  readonly metered: Map<number, number[]>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startChargers(pointIds: readonly number[], port: number, stopped: () => boolean): Promise<ChargerFleet> {
  const metered = new Map<number, number[]>();
  const cps = new Map<number, VirtualChargePoint>();
  for (const p of pointIds) {
    const cp = new VirtualChargePoint({ endpoint: `ws://127.0.0.1:${port}/ocpp`, identity: chargerId(p), secondMs: 50, powerW: 36_000, reconnectMs: 500 });
    let start = 0;
    cp.onEvent((e) => {
      if (e.type !== "answered") return;
      if (e.action === "StartTransaction") start = (e.params as { meterStart: number }).meterStart;
      if (e.action === "StopTransaction") {
        const wh = (e.params as { meterStop: number }).meterStop - start;
        if (wh > 0) metered.set(p, [...(metered.get(p) ?? []), priceOf(wh, AC_PRICE)]);
      }
    });
    cps.set(p, cp);
    await cp.connect();
  }
  const loop = async (point: number, cp: VirtualChargePoint) => {
    await sleep(Math.random() * 2_000); // stagger arrivals
    while (!stopped()) {
      const started = new Promise<boolean>((resolve) => {
        const off = cp.onEvent((e) => e.type === "answered" && e.action === "StartTransaction" && (off(), clearTimeout(t), resolve(true)));
        const t = setTimeout(() => (off(), resolve(false)), 15_000);
      });
      cp.plug(1);
      if (!(await started)) {
        cp.unplug(1); // not started (the point still closing the previous sale): come back
        await sleep(1_000);
        continue;
      }
      const targetWh = 1_000 + Math.floor(Math.random() * 1_000);
      for (let i = 0; i < 600 && !stopped(); i++) {
        const tx = cp.transaction(1);
        if (!tx || cp.registerWh(1) - tx.meterStart >= targetWh) break;
        await sleep(100); // the customer's patience, not a synchronisation
      }
      cp.unplug(1);
      await sleep(1_500);
    }
  };
  const loops = [...cps].map(([p, cp]) => loop(p, cp));
  return {
    loops,
    metered,
    async close() {
      for (const cp of cps.values()) await cp.close();
    },
  };
}
