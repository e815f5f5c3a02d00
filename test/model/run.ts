// `npm run test:model`: the long tier of the model campaign, on every core (MODEL_WORKERS, default
// 2), ≥ 10,000 runs. Ends with `model campaign: N runs, S steps, V violations`; exit 1 on any.
//   MODEL_RUNS=10000  MODEL_SEED=<n> (worker i uses n+i)  MODEL_HINTS=a,b (hints.ts)
//   MODEL_PATH=… MODEL_REPLAY=… (replay one counterexample, as printed)  MODEL_TRACE=1 (dump it)
//   MODEL_SCENARIOS=1 (replay the findings of scenarios.ts one by one: each must be safe)
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type CampaignResult, runCampaign } from "./campaign.ts";
import { Coverage } from "./coverage.ts";
import { parseHints } from "./hints.ts";
import { SCENARIOS, runScenario, scenarioVerdict } from "./scenarios.ts";

interface WorkerReport {
  readonly runs: number;
  readonly steps: number;
  readonly events: number;
  readonly report?: string;
  readonly coverage: { runs: number; runsWith: [string, number][] };
}

async function runHere(numRuns: number, seed: number | undefined): Promise<CampaignResult> {
  const { names, hinted } = parseHints(process.env.MODEL_HINTS);
  return runCampaign({
    numRuns,
    ...(seed !== undefined ? { seed } : {}),
    ...(process.env.MODEL_PATH ? { path: process.env.MODEL_PATH } : {}),
    ...(process.env.MODEL_REPLAY ? { replayPath: process.env.MODEL_REPLAY } : {}),
    gen: hinted.gen,
    sharedTerminal: hinted.sharedTerminal,
    compactionFault: hinted.compactionFault,
    hints: names.join(","),
  });
}

function toReport(r: CampaignResult): WorkerReport {
  return { runs: r.runs, steps: r.steps, events: r.events, ...(r.report ? { report: r.report } : {}), coverage: { runs: r.coverage.runs, runsWith: [...r.coverage.runsWith] } };
}

async function scenarios(): Promise<void> {
  let open = 0;
  for (const sc of SCENARIOS) {
    const problems = scenarioVerdict(sc, await runScenario(sc));
    if (problems.length > 0) open++;
    console.log(`#${sc.issue} [${sc.found}]: ${problems.length > 0 ? `still violates — ${problems[0]}` : "safe"}`);
  }
  console.log(`model scenarios: ${SCENARIOS.length} findings, ${open} still violate`);
  process.exitCode = open > 0 ? 1 : 0;
}

async function main(): Promise<void> {
  if (process.env.MODEL_SCENARIOS === "1") return scenarios();
  if (process.env.MODEL_WORKER !== undefined) {
    const r = await runHere(Number(process.env.MODEL_WORKER_RUNS), Number(process.env.MODEL_SEED));
    process.send!(toReport(r));
    return;
  }
  const t0 = Date.now();
  const seed = Number(process.env.MODEL_SEED ?? (Date.now() ^ (process.pid << 8)) >>> 1);
  let reports: WorkerReport[];
  if (process.env.MODEL_PATH) {
    reports = [toReport(await runHere(1, seed))];
  } else {
    const total = Number(process.env.MODEL_RUNS ?? 10_000);
    const workers = Math.max(1, Number(process.env.MODEL_WORKERS ?? 2));
    console.log(`model campaign: ${total} runs on ${workers} workers, seed ${seed} (worker i: seed+i)${process.env.MODEL_HINTS ? `, hints ${process.env.MODEL_HINTS}` : ""}`);
    const script = fileURLToPath(import.meta.url);
    reports = await Promise.all(
      Array.from({ length: workers }, (_, i) =>
        new Promise<WorkerReport>((resolve, reject) => {
          const runs = Math.floor(total / workers) + (i < total % workers ? 1 : 0);
          const child = fork(script, [], { execArgv: process.execArgv, env: { ...process.env, MODEL_WORKER: String(i), MODEL_WORKER_RUNS: String(runs), MODEL_SEED: String(seed + i) } });
          child.once("message", (m) => resolve(m as WorkerReport));
          child.once("exit", (code) => code !== 0 && reject(new Error(`worker ${i} exited with ${code}`)));
        }),
      ),
    );
  }
  const coverage = new Coverage();
  for (const r of reports) {
    coverage.merge(r.coverage);
    if (r.report) console.log(r.report);
  }
  const runs = reports.reduce((a, r) => a + r.runs, 0);
  const steps = reports.reduce((a, r) => a + r.steps, 0);
  const events = reports.reduce((a, r) => a + r.events, 0);
  const violations = reports.filter((r) => r.report).length;
  console.log(coverage.format());
  console.log(`${events} world events, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`model campaign: ${runs} runs, ${steps} steps, ${violations} violations`);
  process.exitCode = violations > 0 ? 1 : 0;
}

await main();
