// Fuzz: ≥ 10,000 random and mutated lines (seeded, deterministic) into the codec, into a live
// driver over TCP and into the virtual controller. Nothing may throw, and every line that is
// not a valid message for its receiver must be counted.
import { createServer, type Server, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { configureLogging } from "../../../agent/log.ts";
import { openDispenserController } from "../../../drivers/dispenser/open.ts";
import { encodeErr, encodeNotification, encodeOk, encodeRequest, frameLine, parseLine } from "../../../drivers/dispenser/protocol.ts";
import { SimClock } from "../../../simulator/clock.ts";
import { VirtualController } from "../../../simulator/devices/virtual-controller.ts";
import { EventLog, closeAfterEach, waitUntil } from "./helpers.ts";
import { prng } from "../../support/prng.ts";

configureLogging({ level: "error" });

const SEEDS = [
  encodeRequest(1, { verb: "HELLO", version: "1.0" }),
  encodeRequest(7, { verb: "AUTH", point: 2, limitMinor: 4500, currency: "SEK", transactionId: "tx-abc", gradeId: "95" }),
  encodeRequest(8, { verb: "DISPLAY", point: 1, text: "Välkommen, 100% *" }),
  encodeRequest(9, { verb: "SALE", transactionId: "tx-abc" }),
  encodeOk(3, ["1,idle,D,-,-,-", "2,delivering,U,tx-abc,1200,2279"]),
  encodeOk(4, ["tx-abc", "2", "finished", "95", "2369", "4499", "1899", "4500", "limit"]),
  encodeErr(5, "BUSY", "point 2 busy"),
  encodeNotification({ type: "call", point: 2, presetMinor: 4500 }),
  encodeNotification({ type: "progress", point: 2, transactionId: "tx-abc", milli: 1200, amountMinor: 2279 }),
  encodeNotification({ type: "end", point: 2, transactionId: "tx-abc", gradeId: "95", milli: 2369, amountMinor: 4499, unitPriceMinor: 1899, reason: "limit" }),
  encodeNotification({ type: "fault", point: null, code: "POWER", message: "mains lost" }),
].map((l) => l.slice(0, -2));

/** Lines without CR/LF (the transport would split them), so what is sent is what is parsed. */
function fuzzLines(count: number, seed: number): string[] {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const byte = () => {
    const b = int(256);
    return b === 10 || b === 13 ? "?" : String.fromCharCode(b);
  };
  const printable = () => String.fromCharCode(32 + int(95));
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const base = SEEDS[int(SEEDS.length)]!;
    const mode = int(8);
    let line: string;
    if (mode === 0) line = Array.from({ length: int(700) }, byte).join(""); // random bytes, some too long
    else if (mode === 1) line = Array.from({ length: int(80) }, printable).join("");
    else if (mode === 2) {
      // one character replaced: almost always a checksum mismatch
      const at = int(base.length);
      line = base.slice(0, at) + printable() + base.slice(at + 1);
    } else if (mode === 3) line = base.slice(0, int(base.length)); // truncated
    else if (mode === 4) {
      // body mutated, then re-framed with a correct checksum: exercises the grammar
      const body = base.slice(0, -3);
      const at = int(body.length);
      const mutated = int(2) ? body.slice(0, at) + printable() + body.slice(at) : body.slice(0, at) + body.slice(at + 1);
      line = frameLine(mutated).slice(0, -2);
    } else if (mode === 5) {
      const tokens = base.slice(0, -3).split(" ");
      const a = int(tokens.length);
      const b = int(tokens.length);
      [tokens[a], tokens[b]] = [tokens[b]!, tokens[a]!];
      line = frameLine(tokens.join(" ")).slice(0, -2);
    } else if (mode === 6) line = `${base}${byte()}`;
    else line = base; // valid lines mixed in
    lines.push(line);
  }
  return lines;
}

const LINES = fuzzLines(12_000, 20261121);

const cleanup = closeAfterEach();

describe("dispenser protocol fuzz", () => {
  it("the codec never throws and rejects or accepts every line with a reason", () => {
    let bad = 0;
    for (const line of LINES) {
      const r = parseLine(line);
      if (!r.ok) {
        bad++;
        expect(r.error.message.length).toBeGreaterThan(0);
      }
    }
    expect(bad).toBeGreaterThan(6000); // most mutations must be caught…
    expect(bad).toBeLessThan(LINES.length); // …and the valid ones accepted
  });

  it("a live driver over TCP counts every line it cannot use and stays up", async () => {
    // Expected accounting, by the codec: unparseable lines and requests are bad for a driver;
    // replies match no pending tag (stray); notifications become events.
    let expectedBad = 0;
    let expectedStray = 0;
    let expectedEvents = 0;
    for (const line of LINES) {
      const r = parseLine(line);
      if (!r.ok || r.value.kind === "request") expectedBad++;
      else if (r.value.kind === "reply") expectedStray++;
      else expectedEvents++;
    }
    const marker = encodeNotification({ type: "fault", point: null, code: "FUZZ_DONE", message: "" });
    let peer: Socket | undefined;
    const server: Server = createServer((socket) => {
      peer = socket;
      socket.once("data", (chunk) => {
        const tag = /^T(\d+) HELLO/.exec(chunk.toString("latin1"));
        socket.write(encodeOk(Number(tag?.[1] ?? 0), ["1.0", "FUZZ", "2"]));
        socket.write(Buffer.from(LINES.map((l) => `${l}\r\n`).join("") + marker, "latin1"));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as { port: number }).port;
    const log = new EventLog();
    const driver = await openDispenserController({ kind: "tcp", host: "127.0.0.1", port }, { onEvent: log.push });
    cleanup(
      () => new Promise<void>((r) => server.close(() => r())),
      async () => void peer?.destroy(),
      () => driver.close(),
    );
    await log.waitFor((e) => e.type === "fault" && e.code === "FUZZ_DONE", 30_000, "end marker");
    const stats = driver.stats();
    expect(stats.badLines).toBe(expectedBad);
    expect(stats.strayReplies).toBe(expectedStray);
    expect(log.events.filter((e) => e.type !== "link").length).toBe(expectedEvents + 1);
    expect(stats.linkUp).toBe(true);
  });

  it("the virtual controller counts every line it cannot use and keeps answering", async () => {
    const vc = new VirtualController({ scheduler: new SimClock({ manual: true }) });
    const port = await vc.listenTcp(0);
    const driver = await openDispenserController({ kind: "tcp", host: "127.0.0.1", port });
    cleanup(
      () => vc.close(),
      () => driver.close(),
    );
    const sample = LINES.slice(0, 3000).filter((l) => {
      const r = parseLine(l);
      return !r.ok || r.value.kind !== "request"; // requests would change the board's state
    });
    const { createConnection } = await import("node:net");
    const raw = createConnection({ host: "127.0.0.1", port });
    await new Promise<void>((r) => raw.once("connect", () => r()));
    raw.on("data", () => {}); // ERR SYNTAX answers
    raw.write(Buffer.from(sample.map((l) => `${l}\r\n`).join(""), "latin1"));
    await waitUntil(() => vc.stats().badLines >= sample.length, 30_000, "virtual controller counted the fuzz lines");
    expect(vc.stats().badLines).toBe(sample.length);
    raw.destroy();
    expect(await driver.status()).toHaveLength(2);
  });
});
