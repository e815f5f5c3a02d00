// BENCH_PTS=1 npm run bench:serial — the PTS-2 driver over loopback HTTP to the virtual PTS-2:
//   1. one pump's status round trip through the driver (Pts2Controller.status(): PumpGetStatus
//      framed, batched, posted, the answer matched by Id, decoded, through the pump tracker) next to
//      a raw HTTP POST of the very same request bytes, reading the whole answer, in the same run and
//      with the same connection policy. Goal: driver / raw ≤ 1.5.
//   2. a 50-pump poll cycle (every pump's PumpGetStatus in one request; ten pumps filling) through
//      the driver, next to the raw POST of the same 50 packets.
import { Agent, request } from "node:http";
import { configureLogging, createLogger } from "../base/log.ts";
import { systemScheduler } from "../drivers/dispenser/line-driver.ts";
import { MemoryDriverStore } from "../contracts/driver-store.ts";
import { openPts2Controller } from "../drivers/pts2/index.ts";
import { encodeRequest } from "../drivers/pts2/packets.ts";
import { SimClock } from "../simulator/clock.ts";
import { VirtualPts2 } from "../simulator/devices/virtual-pts2.ts";

configureLogging({ level: "warn" });
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 2000);
const ROUNDS = 3;
const WARMUP = 200;
const CYCLES = Number(process.env.BENCH_CYCLES ?? 300);
const KEEP_ALIVE = process.env.BENCH_KEEPALIVE === "1";

const GRADES = [
  { id: "95", ptsFuelGradeId: 1, name: "Blyfri 95", unitPriceMinor: 1899, vatRatePercent: 25 },
  { id: "D", ptsFuelGradeId: 2, name: "Diesel", unitPriceMinor: 2049, vatRatePercent: 25 },
];

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], q: number) => sorted(xs)[Math.floor(xs.length * q)]!;
const median = (xs: number[]) => pct(xs, 0.5);
const us = (x: number) => `${x.toFixed(1)} µs`;
const ms = (x: number) => `${(x / 1000).toFixed(2)} ms`;

/** Raw baseline: POST these bytes, read the whole answer; nothing decoded. */
function rawPoster(url: string) {
  const agent = new Agent({ keepAlive: KEEP_ALIVE, maxSockets: 1 });
  const target = new URL(url);
  return {
    post: (body: Buffer) =>
      new Promise<void>((resolve, reject) => {
        const req = request(target, { method: "POST", agent, headers: { "Content-Type": "application/json; charset=utf-8", "Content-Length": body.length, Connection: KEEP_ALIVE ? "keep-alive" : "close" } }, (res) => {
          res.on("data", () => undefined);
          res.on("end", resolve);
        });
        req.on("error", reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}

/** Times a and b alternately, so both see the same machine load (the bench box is shared). */
async function interleaved(n: number, a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[number[], number[]]> {
  const ta: number[] = [];
  const tb: number[] = [];
  const once = async (fn: () => Promise<unknown>, out: number[]) => {
    const t0 = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t0) / 1000);
  };
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) {
      await once(a, ta);
      await once(b, tb);
    } else {
      await once(b, tb);
      await once(a, ta);
    }
  }
  return [ta, tb];
}

async function withStation(pumps: number, run: (twin: VirtualPts2, driver: Awaited<ReturnType<typeof openPts2Controller>>) => Promise<void>): Promise<void> {
  const twin = new VirtualPts2({ scheduler: new SimClock({ manual: true }), pumps, keepAlive: KEEP_ALIVE });
  await twin.listen(0);
  const driver = await openPts2Controller(
    {
      url: twin.url,
      auth: { scheme: "none" },
      currency: "SEK",
      points: Array.from({ length: pumps }, (_, i) => ({ point: i + 1, pump: i + 1 })),
      grades: GRADES,
      pollIntervalMs: 60_000, // no background polls during the measurement
      keepAlive: KEEP_ALIVE,
    },
    { logger: createLogger("bench.pts2"), scheduler: systemScheduler, store: new MemoryDriverStore() },
  );
  try {
    await run(twin, driver);
  } finally {
    await driver.close();
    await twin.close();
  }
}

// 1. one status round trip
const raw: number[] = [];
const drv: number[] = [];
const onePump = Buffer.from(encodeRequest([{ Id: 1, Type: "PumpGetStatus", Data: { Pump: 1 } }]), "utf8");
for (let r = 0; r < ROUNDS; r++) {
  await withStation(1, async (twin, driver) => {
    const p = rawPoster(twin.url);
    await interleaved(WARMUP, () => p.post(onePump), () => driver.status());
    const [a, b] = await interleaved(ITERATIONS, () => p.post(onePump), () => driver.status());
    raw.push(...a);
    drv.push(...b);
    p.close();
  });
}
console.log(`PTS-2 bench over loopback HTTP (connections ${KEEP_ALIVE ? "kept alive" : "closed after each request, as the vendor SDK does"}), ${ROUNDS} rounds × ${ITERATIONS}, raw and driver interleaved`);
console.log(`raw POST PumpGetStatus (1 pump)   : median ${us(median(raw))}  p90 ${us(pct(raw, 0.9))}`);
console.log(`driver status() (1 pump)          : median ${us(median(drv))}  p90 ${us(pct(drv, 0.9))}`);
const ratio = median(drv) / median(raw);
console.log(`ratio driver/raw                  : ${ratio.toFixed(2)} (median; goal ≤ 1.5) ${ratio <= 1.5 ? "OK" : "ABOVE GOAL"}`);

// 2. a 50-pump poll cycle, ten of them filling
await withStation(50, async (twin, driver) => {
  for (let pump = 1; pump <= 10; pump++) {
    await driver.authorize({ point: pump, limitMinor: 100_000, currency: "SEK", transactionId: `bench-${pump}`, gradeId: "95" });
    twin.liftNozzle(pump, 1);
  }
  const fifty = Buffer.from(encodeRequest(Array.from({ length: 50 }, (_, i) => ({ Id: i + 1, Type: "PumpGetStatus", Data: { Pump: i + 1 } }))), "utf8");
  const p = rawPoster(twin.url);
  const requestsBefore = driver.stats().requests;
  const [rawCycle, cycle] = await interleaved(
    CYCLES,
    () => p.post(fifty),
    async () => {
      for (let pump = 1; pump <= 10; pump++) twin.deliver(pump, 25); // progress on every cycle
      await driver.pollOnce();
    },
  );
  p.close();
  const perCycle = (driver.stats().requests - requestsBefore) / CYCLES;
  console.log(`50-pump poll cycle, raw POST       : median ${ms(median(rawCycle))}  p90 ${ms(pct(rawCycle, 0.9))}  (${fifty.length} B request)`);
  console.log(`50-pump poll cycle, driver         : median ${ms(median(cycle))}  p90 ${ms(pct(cycle, 0.9))}  (ratio ${(median(cycle) / median(rawCycle)).toFixed(2)}; ${perCycle.toFixed(2)} HTTP requests per cycle; 10 pumps filling)`);
});
