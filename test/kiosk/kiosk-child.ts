// Crash-test child for kiosk sales: the real engine + the engine-backed KioskHost on a real
// journal file, GlaseClient → the simulator in the parent. It also plays the kiosk controller, as
// the contract asks of one: it persists (fsync) that it released BEFORE handing out, releases at
// most once per sale, and after a restart reports the result it persisted. Lines on stdout:
// READY, SALE <saleId> <state>, RELEASED <saleId> <outcome> (a real hand-out attempt),
// BOUNDARY <n> <label>. KILL_AT=n: SIGKILL at journal write boundary n. Stdin:
// "sale <key> <amount> <delivered|failed|partial>" (the app's request, with its idempotency key).
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { configureLogging } from "../../base/log.ts";
import { createLogger } from "../../base/log.ts";
import { systemScheduler } from "../../base/clock.ts";
import { EngineKioskHost } from "../../agent/kiosk/engine-host.ts";
import type { KioskSale, ReleaseResult } from "../../contracts/kiosk.ts";
import { openStation } from "../flows/harness/station.ts";
import { KIOSK_POINT, kioskPoints } from "./engine-host-rig.ts";

const env = process.env;
const killAt = env.KILL_AT ? Number(env.KILL_AT) : undefined;
const out = (line: string) => process.stdout.write(`${line}\n`);
configureLogging({ level: "error", sink: { write: (l) => process.stderr.write(l) } });

let boundaries = 0;
const onWriteBoundary = (label: string): void => {
  boundaries++;
  if (env.TRACE_BOUNDARIES) out(`BOUNDARY ${boundaries} ${label}`);
  if (boundaries === killAt) process.kill(process.pid, "SIGKILL");
};

let host: EngineKioskHost | undefined;
const station = await openStation({
  journalPath: env.JOURNAL_PATH!,
  endpoint: env.GLASE_ENDPOINT!,
  points: kioskPoints(),
  onWriteBoundary,
  release: (point, amount, flowId) => host!.release(point, amount, flowId),
  settings: { posWindowMs: 4000, posExtraWindows: 1 },
});
host = new EngineKioskHost({ points: [KIOSK_POINT], engine: () => station.engine, events$: station.engine.events$, journal: station.journal, scheduler: systemScheduler, logger: createLogger("kiosk-child"), releaseTimeoutMs: 60_000 });

// ---- the controller: its own durable memory of what it handed out -----------------------------
const ctrlDir = env.CTRL_DIR!;
mkdirSync(ctrlDir, { recursive: true });
const wanted = new Map<string, string>(); // idempotency key → wanted outcome (the test's script)
const memory = (saleId: string) => join(ctrlDir, `${saleId}.json`);
function durable(path: string, text: string): void {
  const fd = openSync(path, "w");
  writeSync(fd, text);
  fsyncSync(fd);
  closeSync(fd);
}
function resultFor(outcome: string, amountMinor: number): ReleaseResult {
  if (outcome === "delivered") return { outcome: "delivered" };
  if (outcome === "partial") return { outcome: "failed", reason: "half", deliveredMinor: Math.floor(amountMinor / 2) };
  return { outcome: "failed", reason: "jammed" };
}
async function onPaid(s: KioskSale): Promise<void> {
  let result: ReleaseResult;
  if (existsSync(memory(s.saleId))) result = JSON.parse(readFileSync(memory(s.saleId), "utf8")) as ReleaseResult; // released before a crash: report, never again
  else {
    const outcome = wanted.get(s.idempotencyKey ?? "") ?? env.OUTCOME ?? "delivered";
    result = resultFor(outcome, s.amountMinor);
    durable(memory(s.saleId), JSON.stringify(result));
    out(`RELEASED ${s.saleId} ${result.outcome}`);
  }
  await host!.reportRelease(s.saleId, result).catch((err: unknown) => out(`ERROR ${(err as Error).message}`));
}
const busy = new Set<string>();
host.subscribe((e) => {
  out(`SALE ${e.sale.saleId} ${e.sale.state}`);
  if (e.sale.state === "paid" && !busy.has(e.sale.saleId)) (busy.add(e.sale.saleId), void onPaid(e.sale));
});

await host.load();
await station.engine.start();
await host.resume();
// Sales that were paid before the crash: the controller reads them (level-triggered) and reports.
for (const s of await Promise.all((await station.journal.flows({ kind: "kiosk-sale", limit: 100 })).map((r) => host!.getSale((r.state as { sale: KioskSale }).sale.saleId)))) {
  if (!s) continue;
  out(`SALE ${s.saleId} ${s.state}`);
  if (s.state === "paid" && !busy.has(s.saleId)) (busy.add(s.saleId), void onPaid(s));
}
out("READY");

createInterface({ input: process.stdin }).on("line", (line) => {
  const [cmd, key, amount, outcome] = line.trim().split(/\s+/);
  if (cmd === "sale") {
    wanted.set(key!, outcome!);
    host!.requestSale({ point: 9, amountMinor: Number(amount), currency: "SEK", reference: key!, idempotencyKey: key! }).then(
      (s) => out(`STARTED ${s.saleId} ${s.state}`),
      (err: unknown) => out(`ERROR ${(err as Error).message}`),
    );
  }
});
