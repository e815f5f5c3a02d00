// npm run bench:station — 64 points of continuous preliminary payments for 60 s through the real
// daemon (`glase-agent run` child process) against the Glase simulator, the virtual controller
// and the virtual printer hosted here. A recording HTTP proxy between the agent and the simulator
// timestamps every getPaymentStatus and commitReservation as it arrives at "Glase", so poll
// intervals and the worst gap before a PAID invoice is polled (the 20-second reversal rule) are
// measured where the rule applies. A RESERVED invoice is not polled during the delivery
// (contract §6.7: the merchant stops polling until it commits), so that gap is not a poll interval.
// The agent runs as in production: the bundle of `npm run build` (built here first, into a private
// folder) with the V8 flags of systemd/glase-agent.service. RSS and CPU of the agent are read from
// /proc next to an idle Node process started in the same run; the agent's own metrics endpoint
// tells where its RSS goes (V8 heap, external memory, the rest: code, native modules, allocator).
// Goals: poll p99 < 1.1 s; worst PAID/RESERVED gap far below 20 s; RSS < 2× idle Node.
//
// BENCH_OCPP=1: the points are 64 EV chargers, virtual OCPP 1.6J charge points connecting to the
// agent's central system over real WebSockets (bench/station-ocpp.ts); settled = what each
// charger's StopTransaction metered is checked at the end.
//
// BENCH_FAULTS=1: the same station against the STRICT simulator profile with a hostile network in
// the proxy: 20 % of Glase calls fail (half of them after Glase applied them — the answer is lost —
// half before, never reaching it), and 10 % are held up to 3 s first (latency spikes). It then
// prints the worst PAID-to-poll gap measured at Glase (goal < 10 s), reversals (goal 0) and whether
// every settled amount equals what the board metered.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, request, type IncomingMessage } from "node:http";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { configureLogging } from "../base/log.ts";
import { VirtualController } from "../simulator/devices/virtual-controller.ts";
import { VirtualPrinter } from "../simulator/devices/virtual-printer.ts";
import { startGlaseSimulator } from "../simulator/glase/index.ts";
import { NotifyListener } from "../test/daemon/notify-listener.ts";
import { prng } from "../test/support/prng.ts";

configureLogging({ level: "warn" });
const POINTS = Number(process.env.BENCH_POINTS ?? 64);
const FAULTS = process.env.BENCH_FAULTS === "1";
const OCPP = process.env.BENCH_OCPP === "1";
const ocpp = OCPP ? await import("./station-ocpp.ts") : undefined;
const FAULT_RATE = Number(process.env.BENCH_FAULT_RATE ?? 0.2);
const SPIKE_RATE = 0.1;
const SPIKE_MAX_MS = 3000;
/** A seeded draw (the fault pattern repeats run to run). */
const draw = prng(Number(process.env.BENCH_SEED ?? 9));
const faultCounts = { lostAfterApplied: 0, rejectedBefore: 0, spikes: 0 };
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 60) * 1000;
const CLK_TCK = 100; // Linux USER_HZ
const GRADES = [{ id: "95", name: "Blyfri 95", unit: "L" as const, unitPriceMinor: 1899, vatRatePercent: 25 }];
const terminalOf = (p: number) => `bench${String(p).padStart(27, "0")}`;

interface ProcStats {
  rssKb: number;
  /** Anonymous memory (heaps, JIT code, malloc) vs file-backed pages (the node binary, .so files). */
  anonKb: number;
  fileKb: number;
  cpuTicks: number;
}
function procStats(pid: number): ProcStats {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { rssKb: kb("VmRSS"), anonKb: kb("RssAnon"), fileKb: kb("RssFile"), cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

/** The agent's own memory figures, from its Prometheus endpoint (bytes). */
async function agentMemory(): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^(process_resident_memory_bytes|nodejs_\w+_bytes) (\S+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

// ---- Glase simulator behind a recording proxy -----------------------------------------------------
const sim = await startGlaseSimulator({
  port: 0,
  provision: {
    shops: [{ resellerId: "bench_shop", userId: "9900", password: "shop-pass", currency: "SEK", allowRefunds: true, receiverAllowsRefunds: true, blocked: false }],
    terminals: Array.from({ length: POINTS }, (_, i) => ({ id: terminalOf(i + 1), password: `pw-${i + 1}`, name: `pump ${i + 1}`, cashRegister: true, blocked: false })),
    tokens: [],
    settings: {},
    issuers: [],
  },
  settings: { autoCustomer: { enabled: true, confirmAfterMs: 1000 }, ...(FAULTS ? { profile: "strict" as const } : {}) },
});
const simUrl = new URL(sim.endpoint);
/** Per invoice: arrival times of polls and the status each answered; arrival of the accepted commit. */
const polls = new Map<string, Array<{ at: number; status: string }>>();
const commits = new Map<string, number>();
const readAll = (s: IncomingMessage) =>
  new Promise<Buffer>((resolve) => {
    const chunks: Buffer[] = [];
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("end", () => resolve(Buffer.concat(chunks)));
  });
const proxy = createServer(async (req, res) => {
  let arrived = performance.now(); // when the request reached "Glase", before its body is read
  const body = await readAll(req);
  const text = body.toString("utf8");
  // The hostile network of BENCH_FAULTS: the fault is decided per call, before anything else.
  const fault = FAULTS && draw() < FAULT_RATE ? (draw() < 0.5 ? "lost-after-applied" : "rejected-before") : undefined;
  if (FAULTS && draw() < SPIKE_RATE) {
    faultCounts.spikes++;
    await new Promise((r) => setTimeout(r, draw() * SPIKE_MAX_MS));
    arrived = performance.now();
  }
  if (fault === "rejected-before") {
    // Never reaches Glase: the connection drops or a 500 comes back, at random.
    faultCounts.rejectedBefore++;
    if (draw() < 0.5) req.socket.destroy();
    else res.writeHead(500, { "Content-Type": "text/xml" }).end("<soap:Envelope/>");
    return;
  }
  const isPoll = text.includes("getPaymentStatus>") || text.includes("getPaymentStatus ");
  const isCommit = text.includes("commitReservation>") || text.includes("commitReservation ");
  const ref = isPoll || isCommit ? /<invoiceReference>([^<]+)</.exec(text)?.[1] : undefined;
  const up = request({ host: simUrl.hostname, port: simUrl.port, path: req.url, method: req.method, headers: req.headers }, async (upRes) => {
    const answer = await readAll(upRes);
    if (ref && isCommit && /<resultCode>0</.test(answer.toString("utf8"))) commits.set(ref, arrived);
    if (ref && isPoll) {
      const status = /<status>([A-Z_]+)</.exec(answer.toString("utf8"))?.[1] ?? "?";
      let list = polls.get(ref);
      if (!list) polls.set(ref, (list = []));
      list.push({ at: arrived, status });
    }
    if (fault === "lost-after-applied") {
      // Glase applied it; the answer is lost (dropped connection or a 500 instead of the answer).
      faultCounts.lostAfterApplied++;
      if (draw() < 0.5) req.socket.destroy();
      else res.writeHead(500, { "Content-Type": "text/xml" }).end("<soap:Envelope/>");
      return;
    }
    res.writeHead(upRes.statusCode ?? 500, upRes.headers).end(answer);
  });
  up.on("error", () => res.writeHead(502).end());
  up.end(body);
});
await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
const proxyEndpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}${simUrl.pathname}`;

// ---- devices and config ---------------------------------------------------------------------------
const pointIds = Array.from({ length: POINTS }, (_, i) => i + 1);
const controller = new VirtualController({
  grades: GRADES,
  points: pointIds.map((id) => ({ id, gradeIds: ["95"] })),
  flowRateMilliPerSec: 2_000,
  // The fault figures compare every settled amount with the board's record of that sale.
  ...(FAULTS ? { saleRecordCapacity: 1_000_000 } : {}),
});
const controllerPort = await controller.listenTcp(0);
const printer = await VirtualPrinter.listen({});
const dir = await mkdtemp(join(tmpdir(), "glase-bench-station-"));
const metricsPort = await new Promise<number>((resolve) => {
  const probe = createNetServer().listen(0, "127.0.0.1", () => {
    const { port } = probe.address() as AddressInfo;
    probe.close(() => resolve(port));
  });
});
const ocppPort = await new Promise<number>((resolve) => {
  const probe = createNetServer().listen(0, "127.0.0.1", () => {
    const { port } = probe.address() as AddressInfo;
    probe.close(() => resolve(port));
  });
});
const configFile = join(dir, "station.yaml");
await writeFile(
  configFile,
  stringify({
    version: 3,
    station: { name: "Bench Station", currency: "SEK" },
    glase: { endpoint: proxyEndpoint, clientId: "bench", timeouts: { requestMs: 10_000, pollIntervalMs: 1000 } },
    points: ocpp ? ocpp.ocppPoints(pointIds, terminalOf) : pointIds.map((p) => ({ id: p, kind: "fuel", grades: ["95"], maxPreliminaryMinor: 50_000, terminal: { id: terminalOf(p), password: `pw-${p}` } })),
    devices: {
      controllers: ocpp ? ocpp.ocppControllers(pointIds, ocppPort) : [{ id: "board", driver: "line", link: { kind: "tcp", host: "127.0.0.1", port: controllerPort }, points: pointIds }],
      printer: { kind: "tcp", host: "127.0.0.1", port: printer.port, width: 58 },
    },
    stateDir: join(dir, "state"),
    sockets: { dir: join(dir, "run") },
    metrics: { port: metricsPort },
    log: { level: "warn" },
  }),
);

// ---- the production bundle, idle Node baselines and the agent -------------------------------------
// Built where bare imports still resolve to the checkout's node_modules (the bundle keeps packages external).
const bundleDir = join(import.meta.dirname, "..", "node_modules", ".cache", "glase-bench-station");
execFileSync(process.execPath, [join(import.meta.dirname, "..", "scripts", "build.mjs"), "--outdir", bundleDir], { stdio: ["ignore", "ignore", "inherit"] });
const idle: ChildProcess = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
// For reference: an idle Node with only the tsx loader registered — what `npm start` /
// bin/glase-agent.js (development, TypeScript sources) costs before any agent code runs.
const idleTsx: ChildProcess = spawn(process.execPath, ["-e", "import('tsx/esm/api').then((m) => { m.register(); setInterval(() => {}, 1000); })"], { stdio: "ignore" });
const notify = await NotifyListener.open();
// The agent runs with the node flags of systemd/glase-agent.service's ExecStart and its Environment=
// lines (read from the unit, so the bench measures what is deployed); BENCH_NODE_FLAGS overrides the
// flags ("" = none) and BENCH_AGENT_ENV (KEY=VALUE …) the environment, to compare memory settings.
const unit = readFileSync(join(import.meta.dirname, "..", "systemd", "glase-agent.service"), "utf8");
const unitFlags = (/^ExecStart=\S+ (.*?)\s*\S+\/glase-agent\.mjs /m.exec(unit)?.[1] ?? "").trim();
const unitEnv = [...unit.matchAll(/^Environment=(.*)$/gm)].map((m) => m[1]!).join(" ");
const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? unitFlags).split(" ").filter(Boolean);
const agentEnv = Object.fromEntries(
  (process.env.BENCH_AGENT_ENV ?? unitEnv)
    .split(" ")
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
);
if (process.env.BENCH_HEAP_SNAPSHOT) nodeFlags.push("--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${dir}`);
const agent = spawn(process.execPath, [...nodeFlags, join(bundleDir, "glase-agent.mjs"), "run", "--config", configFile], {
  env: { ...process.env, ...agentEnv, NOTIFY_SOCKET: notify.path },
  stdio: ["ignore", "ignore", "inherit"],
});
await notify.waitFor((m) => m.fields.READY === "1", 120_000);

// ---- customers: each point loops call → (authorized) lift → deliver → hang up ----------------------
let stop = false;
const authWaiters = new Map<number, () => void>();
const endWaiters = new Map<number, () => void>();
controller.onEvent((e) => {
  if (e.type === "request" && e.request.verb === "AUTH") authWaiters.get(e.request.point)?.();
  if (e.type === "end") endWaiters.get(e.point)?.();
});
const wait = (map: Map<number, () => void>, point: number, ms: number) =>
  new Promise<boolean>((resolve) => {
    const t = setTimeout(() => (map.delete(point), resolve(false)), ms);
    map.set(point, () => (clearTimeout(t), map.delete(point), resolve(true)));
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function customerLoop(point: number): Promise<void> {
  await sleep(Math.random() * 2_000); // stagger arrivals
  while (!stop) {
    const auth = wait(authWaiters, point, 15_000);
    controller.customerCall(point, { gradeId: "95" });
    if (!(await auth)) continue; // refused (point still closing the previous sale): call again
    const ended = wait(endWaiters, point, 60_000);
    controller.liftNozzle(point, { gradeId: "95", volumeMilli: 2_000 + Math.floor(Math.random() * 2_000) });
    await ended;
    await sleep(1_500);
  }
}

const paidBefore = sim.sim.dump().invoices.filter((i) => i.status === "PAID").length;
const t0 = performance.now();
const agentStart = procStats(agent.pid!);
const idleStart = procStats(idle.pid!);
const fleet = ocpp ? await ocpp.startChargers(pointIds, ocppPort, () => stop) : undefined;
const loops = fleet ? fleet.loops : pointIds.map((p) => customerLoop(p));
let peak = procStats(agent.pid!);
let peakMemory: Record<string, number> = {};
let idlePeak = procStats(idle.pid!);
let idleTsxRss = 0;
for (let tick = 1; performance.now() - t0 < DURATION_MS; tick++) {
  await sleep(1_000);
  const now = procStats(agent.pid!);
  if (now.rssKb >= peak.rssKb) peak = now;
  // The heap breakdown is scraped every 5 s (a scrape allocates too), and kept from the highest RSS.
  if (tick % 5 === 0) {
    const memory = await agentMemory().catch((): Record<string, number> => ({}));
    if ((memory.process_resident_memory_bytes ?? 0) >= (peakMemory.process_resident_memory_bytes ?? 0)) peakMemory = memory;
  }
  const idleNow = procStats(idle.pid!);
  if (idleNow.rssKb >= idlePeak.rssKb) idlePeak = idleNow;
  idleTsxRss = Math.max(idleTsxRss, procStats(idleTsx.pid!).rssKb);
}
const peakRss = peak.rssKb;
const idleRss = idlePeak.rssKb;
const elapsedS = (performance.now() - t0) / 1000;
const agentEnd = procStats(agent.pid!);
const idleEnd = procStats(idle.pid!);
stop = true;
const settled = sim.sim.dump().invoices.filter((i) => i.status === "PAID").length - paidBefore;

// ---- figures ------------------------------------------------------------------------------------------
const mib = (bytes: number | undefined) => (bytes === undefined ? "?" : (bytes / 1048576).toFixed(1));
// Poll intervals while the agent is polling: after a RESERVED answer the merchant stops polling
// until it commits (contract §6.7), so that gap is the delivery, not a late poll.
const intervals: number[] = [];
/** Long gaps (> 1.5 s) by the status the previous poll answered: tells where a poll was late. */
const longGaps = new Map<string, number>();
// The 20-second rule: from the accepted commit (invoice PAID) — or from a poll that read PAID —
// to the next poll of that invoice arriving at Glase.
let worstPaidGap = 0;
let paidUnacknowledged = 0;
for (const [ref, list] of polls) {
  for (let i = 1; i < list.length; i++) {
    const gap = list[i]!.at - list[i - 1]!.at;
    if (list[i - 1]!.status === "PAID") worstPaidGap = Math.max(worstPaidGap, gap);
    if (list[i - 1]!.status === "RESERVED") continue;
    intervals.push(gap);
    if (gap > 1_500) longGaps.set(list[i - 1]!.status, (longGaps.get(list[i - 1]!.status) ?? 0) + 1);
  }
  const committed = commits.get(ref);
  if (committed !== undefined) {
    const ack = list.find((p) => p.at >= committed && p.status === "PAID");
    if (ack) worstPaidGap = Math.max(worstPaidGap, ack.at - committed);
    else paidUnacknowledged++;
  }
}
const cpuAgent = (agentEnd.cpuTicks - agentStart.cpuTicks) / CLK_TCK / elapsedS;
const cpuIdle = (idleEnd.cpuTicks - idleStart.cpuTicks) / CLK_TCK / elapsedS;
const lines = [
  `station bench: ${POINTS} ${OCPP ? "OCPP chargers" : "points"}, ${elapsedS.toFixed(1)} s, continuous preliminary payments through the built glase-agent run${nodeFlags.length ? ` (node ${nodeFlags.join(" ")})` : ""}${Object.keys(agentEnv).length ? ` env ${Object.entries(agentEnv).map(([k, v]) => `${k}=${v}`).join(" ")}` : ""}`,
  `settled flows:        ${settled} (${(settled / elapsedS).toFixed(2)}/s)`,
  `polls:                ${intervals.length + polls.size} on ${polls.size} invoices`,
  `poll interval:        p50 ${(percentile(intervals, 50) / 1000).toFixed(3)} s   p99 ${(percentile(intervals, 99) / 1000).toFixed(3)} s   max ${(Math.max(...intervals) / 1000).toFixed(3)} s   (goal p99 < 1.1 s)`,
  `gaps > 1.5 s:         ${[...longGaps].map(([st, n]) => `${n} after ${st}`).join(", ") || "none"}`,
  `worst PAID gap:       ${(worstPaidGap / 1000).toFixed(3)} s from commit (or a PAID poll) to the next poll at Glase   (must stay far under 20 s)${paidUnacknowledged ? `; ${paidUnacknowledged} commits in flight at the end` : ""}`,
  `RSS:                  agent peak ${(peakRss / 1024).toFixed(1)} MiB   idle node ${(idleRss / 1024).toFixed(1)} MiB   ratio ${(peakRss / idleRss).toFixed(2)}   (goal < 2)`,
  `                      agent at READY (before the first customer) ${mib(agentStart.rssKb * 1024)} MiB`,
  `                      agent anon ${mib(peak.anonKb * 1024)} + file ${mib(peak.fileKb * 1024)} MiB   idle node anon ${mib(idlePeak.anonKb * 1024)} + file ${mib(idlePeak.fileKb * 1024)} MiB`,
  `                      agent at its highest scrape: RSS ${mib(peakMemory.process_resident_memory_bytes)}  V8 heap ${mib(peakMemory.nodejs_heap_size_used_bytes)} used / ${mib(peakMemory.nodejs_heap_size_total_bytes)} committed  external ${mib(peakMemory.nodejs_external_memory_bytes)} MiB`,
  `                      for reference, idle node + tsx loader (development, bin/glase-agent.js) ${mib(idleTsxRss * 1024)} MiB`,
  `CPU:                  agent ${(cpuAgent * 100).toFixed(1)} % of one core   idle node ${(cpuIdle * 100).toFixed(1)} %   load ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`,
];
process.stdout.write(lines.join("\n") + "\n");
if (fleet) {
  // Each point's PAID invoices, in order, against what its charger metered, in order.
  const dump = sim.sim.dump();
  let wrong = 0;
  let checked = 0;
  for (const p of pointIds) {
    const paid = dump.invoices.filter((i) => i.terminalId === terminalOf(p) && i.status === "PAID").map((i) => i.paidMinor);
    const metered = fleet.metered.get(p) ?? [];
    paid.forEach((amount, k) => (checked++, amount !== Math.min(metered[k] ?? -1, 50_000) && wrong++));
  }
  process.stdout.write(`settled = metered:    ${wrong === 0 ? "yes" : `NO (${wrong} wrong)`} (${checked} PAID sessions checked against the chargers' StopTransaction meterStop − meterStart)\n`);
}

if (FAULTS) {
  // Measured at Glase (the simulator's own clock, real time here): PAID → first read by its terminal.
  const dump = sim.sim.dump();
  const paidInvoices = dump.invoices.filter((i) => i.paidAt !== undefined);
  const gaps = paidInvoices.filter((i) => i.paidReadAt !== undefined).map((i) => i.paidReadAt! - i.paidAt!);
  const reversals = dump.invoices.filter((i) => i.reversed).length;
  const unread = paidInvoices.filter((i) => i.paidReadAt === undefined && !i.reversed).length;
  const records = new Map(controller.saleRecords().map((r) => [r.transactionId, r]));
  let checked = 0;
  const wrong: string[] = [];
  for (const inv of dump.invoices.filter((i) => i.status === "PAID" && !i.reversed)) {
    const sale = records.get(inv.invoice.clientInvoiceId ?? "");
    checked++;
    if (!sale) wrong.push(`${inv.invoiceReference}: no sale record`);
    else if (sale.state !== "finished" || inv.paidMinor !== Math.min(sale.amountMinor, sale.limitMinor)) wrong.push(`${inv.invoiceReference}: paid ${inv.paidMinor}, metered ${sale.amountMinor} (${sale.state})`);
  }
  const doubleCommits = dump.invoices.filter((i) => i.commitsAccepted > 1).length;
  const faultLines = [
    `faults:               ${faultCounts.lostAfterApplied} applied then lost, ${faultCounts.rejectedBefore} rejected before Glase, ${faultCounts.spikes} latency spikes ≤ ${SPIKE_MAX_MS / 1000} s (strict profile, ${Math.round(FAULT_RATE * 100)} % of calls failing)`,
    `worst PAID-to-poll:   ${(Math.max(0, ...gaps) / 1000).toFixed(3)} s at Glase over ${gaps.length} PAID invoices (goal < 10 s)${unread ? `; ${unread} PAID still unread at the end` : ""}`,
    `reversals:            ${reversals} (goal 0)`,
    `settled = metered:    ${wrong.length === 0 ? "yes" : "NO"} (${checked} PAID invoices checked against the board's sale records${wrong.length ? `; ${wrong.length} wrong: ${wrong.slice(0, 5).join("; ")}` : ""}); ${doubleCommits} invoices with two accepted commits`,
  ];
  process.stdout.write(faultLines.join("\n") + "\n");
}

if (process.env.BENCH_HEAP_SNAPSHOT) {
  // Investigation aid: a V8 heap snapshot of the loaded agent (Chrome DevTools → Memory → Load).
  // Node writes it in place: done when its size stops changing.
  const { copyFile, readdir, stat } = await import("node:fs/promises");
  process.kill(agent.pid!, "SIGUSR2");
  let file: string | undefined;
  for (let i = 0, last = -1; i < 600; i++, await sleep(500)) {
    file = (await readdir(dir)).find((f) => f.endsWith(".heapsnapshot"));
    const size = file ? (await stat(join(dir, file))).size : -1;
    if (size > 0 && size === last) break;
    last = size;
  }
  if (file) {
    await copyFile(join(dir, file), process.env.BENCH_HEAP_SNAPSHOT);
    process.stdout.write(`heap snapshot:        ${process.env.BENCH_HEAP_SNAPSHOT}\n`);
  }
}
agent.kill("SIGTERM");
await new Promise((r) => agent.once("exit", r));
idle.kill("SIGKILL");
idleTsx.kill("SIGKILL");
await Promise.race([Promise.all(loops), sleep(5_000)]);
await notify.close();
await fleet?.close();
await controller.close();
await printer.close();
proxy.close();
await sim.close();
await rm(dir, { recursive: true, force: true });
process.exit(0);
