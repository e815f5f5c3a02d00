// Seeded random crash campaign (npm run test:crash): two lanes (point 1 and point 2, each its own
// terminal and journal) serve customers continuously while the child agent is SIGKILLed at a
// random journal write boundary and restarted on the same journal, ≥ 500 times in all. At the end
// every customer is checked against the simulator's ledger and the controller's sale records.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TERMINALS } from "./harness/station.ts";
import { ChildAgent, bundleChild, checkCustomer, flowIds, settled, startRig, type Rig } from "./harness/crash-rig.ts";
import { prng } from "../support/prng.ts";

const KILLS = Number(process.env.CRASH_KILLS ?? 500);
const SEED = Number(process.env.CRASH_SEED ?? 20261121);
const MAX_BOUNDARY = 30;

let rig: Rig;
let dir: string;
let script: string;

beforeAll(async () => {
  rig = await startRig();
  dir = mkdtempSync(join(tmpdir(), "crash-campaign-"));
  script = await bundleChild();
});

afterAll(async () => {
  await rig?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Budget {
  kills: number;
}

/** Keeps customers coming to `point` while the child lives: after READY, after each finished flow, and when idle. */
async function serve(child: ChildAgent, point: number): Promise<void> {
  let seen = 0;
  let lastChange = Date.now();
  while (child.alive) {
    if (child.lines.length > seen) {
      const fresh = child.lines.slice(seen);
      seen = child.lines.length;
      lastChange = Date.now();
      if (fresh.some((l) => l === "READY" || l.startsWith("FINISHED "))) rig.controller.customerCall(point);
    } else if (Date.now() - lastChange > 1500) {
      lastChange = Date.now();
      rig.controller.customerCall(point); // nudge: a call lost in a crash leaves the point waiting
    }
    await Promise.race([child.exited, new Promise((r) => setTimeout(r, 50))]);
  }
}

async function lane(point: number, journal: string, random: () => number, budget: Budget): Promise<Set<string>> {
  const flows = new Set<string>();
  while (budget.kills < KILLS) {
    const killAt = 1 + Math.floor(random() * MAX_BOUNDARY);
    const child = new ChildAgent(rig, journal, { killAt, points: [point], script });
    const lifetime = setTimeout(() => void child.kill(), 120_000); // bound: a stuck child is killed too (and reported by the checks)
    await serve(child, point);
    clearTimeout(lifetime);
    await child.exited;
    for (const id of flowIds(child)) flows.add(id);
    budget.kills++;
    if (budget.kills % 50 === 0) process.stdout.write(`crash campaign: ${budget.kills} kills so far\n`);
  }
  // Last run without a kill: everything still open must finish on its own.
  const final = new ChildAgent(rig, journal, { points: [point], script });
  try {
    await final.line(/^READY$/);
    const open = flowIds(final);
    for (const id of open) flows.add(id);
    await settled(final, open, 120_000);
  } finally {
    await final.kill();
  }
  return flows;
}

describe("crash campaign", () => {
  it(`≥ ${KILLS} seeded random kills, every customer settled exactly once`, async () => {
    const random = prng(SEED);
    const budget: Budget = { kills: 0 };
    const lanes = [
      { point: 1, terminal: TERMINALS[0]!.terminalId },
      { point: 2, terminal: TERMINALS[1]!.terminalId },
    ];
    const flowSets = await Promise.all(lanes.map((l) => lane(l.point, join(dir, `lane-${l.point}.db`), random, budget)));

    const dump = rig.sim.sim.dump();
    const anomalies: string[] = [];
    let customers = 0;
    lanes.forEach((l, i) => {
      const invoices = dump.invoices.filter((inv) => inv.terminalId === l.terminal);
      const byFlow = new Map<string, typeof invoices>();
      for (const inv of invoices) {
        const id = inv.invoice.clientInvoiceId ?? "?";
        byFlow.set(id, [...(byFlow.get(id) ?? []), inv]);
      }
      const ids = new Set([...flowSets[i]!, ...byFlow.keys()]);
      for (const id of ids) {
        if (!flowSets[i]!.has(id)) anomalies.push(`invoice for unknown flow ${id}`);
        const sale = rig.controller.saleRecords().find((r) => r.transactionId === id);
        for (const p of checkCustomer({ invoices: byFlow.get(id) ?? [], sale, supersedeAllowed: true })) anomalies.push(`${id}: ${p}`);
        customers++;
      }
    });
    process.stdout.write(`crash campaign: ${budget.kills} kills, ${customers} customers, ${anomalies.length} anomalies\n`);
    for (const a of anomalies.slice(0, 40)) process.stdout.write(`  anomaly ${a}\n`);
    expect(budget.kills).toBeGreaterThanOrEqual(KILLS);
    expect(anomalies).toEqual([]);
  }, 3_600_000);
});
