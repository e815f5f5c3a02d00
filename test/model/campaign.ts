// One campaign = fast-check runs of (world config, command sequence) against a fresh world each:
// run the commands (step invariants after each), then heal the world and let it go quiet
// (quiescence invariants), then a technician retries every parked flow and it goes quiet again.
// A failing run shrinks to a minimal sequence; `describeFailure` prints it with seed, path and the
// replay command.
import fc from "fast-check";
import { type GenConfig, ModelViolation, type Run, commandArbitraries } from "./commands.ts";
import { Coverage } from "./coverage.ts";
import { Invariants } from "./invariants.ts";
import { World, type WorldConfig } from "./world.ts";

const HORIZON_MS = 3 * 3600_000;
const RETRY_NEEDS_MS = 10_000;

export interface CampaignOptions {
  readonly numRuns: number;
  readonly seed?: number;
  readonly path?: string;
  /** fc.commands' own replay path (printed with a failure). */
  readonly replayPath?: string;
  readonly gen: GenConfig;
  /** Hints that change the world (hints.ts). */
  readonly sharedTerminal?: boolean;
  readonly compactionFault?: boolean;
  /** Hint name(s) in force, for the replay command. */
  readonly hints?: string;
}

export interface CampaignResult {
  readonly runs: number;
  readonly steps: number;
  readonly events: number;
  readonly failed: boolean;
  readonly report?: string;
  readonly coverage: Coverage;
}

export function worldConfig(sharedTerminal: boolean, compactionFault: boolean): fc.Arbitrary<WorldConfig> {
  return fc.record({
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
    sharedTerminal: fc.constant(sharedTerminal),
    compactionFault: fc.constant(compactionFault),
    commitTimeoutS: fc.constantFrom(300, 900),
    latencyMs: fc.constantFrom(5, 40, 250),
    reportNotReadyMs: fc.constantFrom(0, 3000, 12_000),
    submitReceipts: fc.boolean(),
    refundRowCashier: fc.constantFrom("none" as const, "refund" as const, "payment" as const, "unlisted" as const),
  });
}

/**
 * Heals every fault and lets the flows come to rest; a diligent technician then retries each
 * parked flow (while its reservation still stands), and the world runs until nothing is pending.
 */
export async function finale(r: Run): Promise<void> {
  const { w, inv } = r;
  w.killAt = undefined;
  w.customers.finishAll();
  w.wire.clearFaults();
  w.board.setLink(true);
  for (const p of w.board.points.values()) Object.assign(p, { stopFaults: [], saleFails: 0, authLost: 0 });
  w.releaseFails = 0;
  const rested = await w.quiesce(HORIZON_MS, true);
  inv.step();
  inv.parkedAlarms();
  const engine = w.engine;
  const parked = rested && engine ? engine.snapshot().flows.filter((f) => f.parked) : [];
  // Reservations a retry can still settle: more than a few seconds left (stop, update, commit, read).
  const reserved = parked.flatMap((f) => w.model.invoicesOf(f.flowId).filter((i) => i.status === "RESERVED" && (i.lapseAt ?? Infinity) - w.clock.mono > RETRY_NEEDS_MS));
  for (const f of parked) await engine!.resolveParked(f.flowId, "retry").catch(() => undefined);
  r.steps += parked.length + (await w.sales.technicianSettles());
  inv.step();
  const quiet = await w.quiesce(HORIZON_MS);
  await w.sales.refresh();
  inv.quiescent(quiet, true);
  await inv.durability(w.clock.wall() - w.settings.retentionMs);
  for (const i of reserved) {
    const tx = w.board.txs.get(i.clientInvoiceId!);
    const settled = tx && tx.amountMinor > 0 ? i.status === "PAID" : i.status === "CANCELED" && i.cause === "merchant";
    if (!settled) w.violate("retry-did-not-settle", `technician retry of ${i.clientInvoiceId} on a healed station left ${i.ref} ${i.status}${i.cause ? ` (${i.cause})` : ""}; metered ${tx?.amountMinor ?? 0}`);
  }
}

let runCounter = 0;

export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  let runs = 0;
  let steps = 0;
  let events = 0;
  const coverage = new Coverage();
  let lastViolations = "";
  const property = fc.asyncProperty(worldConfig(o.sharedTerminal ?? false, o.compactionFault ?? false), fc.commands(commandArbitraries(o.gen), { maxCommands: o.gen.maxCommands, size: "medium", ...(o.replayPath ? { replayPath: o.replayPath } : {}) }), async (config, cmds) => {
    runs++;
    const w = new World(config, `${++runCounter}`);
    const r: Run = { w, inv: new Invariants(w), steps: 0 };
    try {
      await w.boot();
      await fc.asyncModelRun(() => ({ model: {}, real: r }), cmds);
      await finale(r);
      coverage.record(w);
      if (w.violations.length > 0) throw new ModelViolation(w.violations.map((v) => `${v.code}: ${v.message}`).join("\n"));
    } catch (e) {
      lastViolations = e instanceof Error ? e.message : String(e);
      if (process.env.MODEL_TRACE === "1") lastViolations += `\n--- trace ---\n${w.trace()}`;
      throw e;
    } finally {
      steps += r.steps;
      events += w.clock.stamp();
      await w.dispose();
    }
  });
  const details = await fc.check(property, {
    numRuns: o.numRuns,
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.path !== undefined ? { path: o.path } : {}),
    endOnFailure: o.path !== undefined,
  });
  const report = details.failed ? describeFailure(details as unknown as fc.RunDetails<[WorldConfig, Iterable<unknown>]>, lastViolations, o.hints) : undefined;
  return { runs, steps, events, failed: details.failed, ...(report ? { report } : {}), coverage };
}

function describeFailure(d: fc.RunDetails<[WorldConfig, Iterable<unknown>]>, violations: string, hints?: string): string {
  const ce = d.counterexample;
  const replay = ce ? (/replayPath="([^"]*)"/.exec(String(ce[1]))?.[1] ?? "") : "";
  const lines = [
    `model campaign: VIOLATION after ${d.numRuns} runs (shrunk ${d.numShrinks} times)`,
    violations,
    "minimal sequence:",
    ce ? `  world ${JSON.stringify(ce[0])}` : "  (none)",
    ...(ce ? [...ce[1]].filter((c) => (c as { hasRan?: boolean }).hasRan).map((c, i) => `  ${i + 1}. ${String(c)}`) : []),
    `seed ${d.seed}, path ${d.counterexamplePath}, replayPath ${replay}`,
    `replay: MODEL_SEED=${d.seed} MODEL_PATH=${d.counterexamplePath} MODEL_REPLAY=${replay}${hints ? ` MODEL_HINTS=${hints}` : ""} npm run test:model`,
  ];
  return lines.join("\n");
}
