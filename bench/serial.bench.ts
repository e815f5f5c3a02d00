// npm run bench:serial — round-trip time of a STATUS command through the real driver
// (LineDispenserDriver on serialport) to the virtual controller over a socat pty, next to a raw
// write/read of the very same request and reply bytes over the same pty in the same run.
// Goal: driver / raw ≤ 1.5 (the driver adds framing, checksum, tag matching, reply decoding).
// BENCH_PTS=1 runs the PTS-2 (jsonPTS over HTTP) sibling instead: bench/pts2.bench.ts.
import { SerialPort } from "serialport";
import { configureLogging } from "../base/log.ts";
import { LineDispenserDriver } from "../drivers/dispenser/line-driver.ts";
import { replyFields } from "../drivers/dispenser/protocol-replies.ts";
import { encodeOk, encodeRequest } from "../drivers/dispenser/protocol.ts";
import { serialConnector } from "../drivers/dispenser/transport-serial.ts";
import { openPtyPair } from "../simulator/devices/pty-pair.ts";
import { VirtualController } from "../simulator/devices/virtual-controller.ts";

configureLogging({ level: "warn" });
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 2000);
const ROUNDS = 3;
const WARMUP = 200;

function openRaw(path: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
    port.open((err) => (err ? reject(err) : resolve(port)));
  });
}
const closeRaw = (p: SerialPort) => new Promise<void>((r) => p.close(() => r()));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Raw baseline: the client writes the request bytes, the far end answers the reply bytes as soon as a line is complete. */
async function rawRound(a: string, b: string, request: Buffer, reply: Buffer): Promise<number[]> {
  const board = await openRaw(a);
  const client = await openRaw(b);
  let boardBuf = "";
  board.on("data", (d: Buffer) => {
    boardBuf += d.toString("latin1");
    while (boardBuf.includes("\n")) {
      boardBuf = boardBuf.slice(boardBuf.indexOf("\n") + 1);
      board.write(reply);
    }
  });
  let waiting: (() => void) | undefined;
  let clientBuf = "";
  client.on("data", (d: Buffer) => {
    clientBuf += d.toString("latin1");
    if (clientBuf.includes("\n")) {
      clientBuf = clientBuf.slice(clientBuf.indexOf("\n") + 1);
      waiting?.();
    }
  });
  const once = () =>
    new Promise<void>((resolve) => {
      waiting = resolve;
      client.write(request);
    });
  for (let i = 0; i < WARMUP; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const t0 = process.hrtime.bigint();
    await once();
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  await closeRaw(client);
  await closeRaw(board);
  return times;
}

async function driverRound(a: string, b: string): Promise<number[]> {
  const vc = new VirtualController({ points: 2 });
  await vc.attachSerial({ path: a });
  const driver = new LineDispenserDriver(serialConnector({ path: b }), { commandTimeoutMs: 5000 });
  await driver.start();
  await driver.waitForLink(5000);
  for (let i = 0; i < WARMUP; i++) await driver.status();
  const times: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const t0 = process.hrtime.bigint();
    await driver.status();
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  await driver.close();
  await vc.close();
  return times;
}

async function serialBench(): Promise<void> {
  const pair = await openPtyPair();
  try {
    // The same bytes the driver and the board exchange (tag width aside).
    const vc = new VirtualController({ points: 2 });
    const request = Buffer.from(encodeRequest(1234, { verb: "STATUS" }), "latin1");
    const reply = Buffer.from(encodeOk(1234, replyFields({ verb: "STATUS", points: vc.model.status() })), "latin1");
    await vc.close();
    const raw: number[] = [];
    const drv: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      raw.push(...(await rawRound(pair.a, pair.b, request, reply)));
      drv.push(...(await driverRound(pair.a, pair.b)));
    }
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const fmt = (us: number) => `${us.toFixed(1)} µs`;
    const pct = (xs: number[], q: number) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length * q)]!;
    console.log(`serial bench over a socat pty, ${ROUNDS} rounds × ${ITERATIONS} round trips, request ${request.length} B, reply ${reply.length} B`);
    console.log(`raw write/read   : median ${fmt(median(raw))}  p90 ${fmt(pct(raw, 0.9))}  mean ${fmt(mean(raw))}`);
    console.log(`driver STATUS    : median ${fmt(median(drv))}  p90 ${fmt(pct(drv, 0.9))}  mean ${fmt(mean(drv))}`);
    const ratio = median(drv) / median(raw);
    console.log(`ratio driver/raw : ${ratio.toFixed(2)} (median; goal ≤ 1.5) ${ratio <= 1.5 ? "OK" : "ABOVE GOAL"}`);
  } finally {
    await pair.close();
  }
}

if (process.env.BENCH_PTS === "1") await import("./pts2.bench.ts");
else await serialBench();
