// Seeded random crash campaign (npm run test:crash): three lanes — fuel points 1 and 2 and the
// kiosk (point 9, POS payments), each its own terminal and journal — serve customers continuously
// while the child agent is SIGKILLed at a random journal write boundary and restarted on the same
// journal, ≥ 500 times in all, against the strict Glase profile. At the end every customer is
// checked against the simulator's ledger, the controller's sale records and the kiosk's real
// releases: a parked flow is an anomaly, and a superseded second invoice is allowed only for the
// flow whose sendInvoice was out when its child was killed — the one window where the contract
// prescribes it (lost sendInvoice), whichever flow's boundary the kill fell on.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TERMINALS } from "./harness/station.ts";
import { ChildAgent, bundleChild, checkCustomer, flowIds, killLabel, lostSendFlows, releases, settled, startRig, type Rig } from "./harness/crash-rig.ts";
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

interface LaneResult {
  readonly flows: Set<string>;
  /** Kills in the lost-send window per flow: each lets a fresh sendInvoice supersede one invoice (§6.4). */
  readonly supersedeAllowed: Map<string, number>;
  /** Every kill boundary per flow it names (for the anomaly report). */
  readonly kills: Map<string, string[]>;
  readonly released: Map<string, number>;
  /** Last outcome line per flow (FINISHED <outcome> / PARKED <state>) over all children. */
  readonly outcomes: Map<string, string>;
}

/** A customer arrives at the lane's point: a nozzle lift, or a kiosk payment. */
function arrive(child: ChildAgent, point: number): void {
  if (point === 9) child.send("pos 9 2500");
  else rig.controller.customerCall(point);
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
      if (fresh.some((l) => l === "READY" || l.startsWith("FINISHED "))) arrive(child, point);
    } else if (Date.now() - lastChange > 1500) {
      lastChange = Date.now();
      arrive(child, point); // nudge: a call lost in a crash leaves the point waiting
    }
    await Promise.race([child.exited, new Promise((r) => setTimeout(r, 50))]);
  }
}

function record(child: ChildAgent, r: LaneResult): void {
  for (const id of flowIds(child)) r.flows.add(id);
  for (const [id, n] of releases(child)) r.released.set(id, (r.released.get(id) ?? 0) + n);
  for (const l of child.lines) {
    const m = /^(FINISHED|PARKED) (\S+) (\S+)/.exec(l);
    if (m) r.outcomes.set(m[2]!, m[1] === "PARKED" ? `parked:${m[3]}` : m[3]!);
  }
}

async function lane(point: number, journal: string, random: () => number, budget: Budget): Promise<LaneResult> {
  const r: LaneResult = { flows: new Set(), supersedeAllowed: new Map(), kills: new Map(), released: new Map(), outcomes: new Map() };
  while (budget.kills < KILLS) {
    const killAt = 1 + Math.floor(random() * MAX_BOUNDARY);
    // Traced, so the boundary the child died at is known (the supersede allowance depends on it).
    const child = new ChildAgent(rig, journal, { killAt, points: [point], script, trace: true });
    const lifetime = setTimeout(() => void child.kill(), 120_000); // bound: a stuck child is killed too (and reported by the checks)
    await serve(child, point);
    clearTimeout(lifetime);
    await child.exited;
    record(child, r);
    const label = killLabel(child);
    for (const lost of lostSendFlows(child)) r.supersedeAllowed.set(lost, (r.supersedeAllowed.get(lost) ?? 0) + 1);
    const named = /^[a-z]+:receipt:(.+)$/.exec(label ?? "")?.[1] ?? /^[a-z]+:([^:]+):/.exec(label ?? "")?.[1];
    if (named) r.kills.set(named, [...(r.kills.get(named) ?? []), label!]);
    budget.kills++;
    if (budget.kills % 50 === 0) process.stdout.write(`crash campaign: ${budget.kills} kills so far\n`);
  }
  // Last run without a kill: everything still open must finish on its own. A lost-send watch (a kill
  // in a sendInvoice's window) whose send was superseded by its own flow's re-send never sees it, and
  // runs to its horizon (15 min by default) before it ends with lost-send-unresolved: the final run
  // gives a minute, so that such a watch ends inside the 120 s below (on 622ce26 too, the campaign
  // timed out waiting for one).
  const final = new ChildAgent(rig, journal, { points: [point], script, settings: { lostSendWatchMs: 60_000 } });
  try {
    await final.line(/^READY$/);
    const open = flowIds(final);
    await settled(final, open, 120_000);
  } finally {
    await final.kill();
    record(final, r);
  }
  return r;
}

describe("crash campaign", () => {
  it(`≥ ${KILLS} seeded random kills, every customer settled exactly once`, async () => {
    const random = prng(SEED);
    const budget: Budget = { kills: 0 };
    const lanes = [
      { point: 1, terminal: TERMINALS[0]!.terminalId },
      { point: 2, terminal: TERMINALS[1]!.terminalId },
      { point: 9, terminal: TERMINALS[2]!.terminalId },
    ];
    const results = await Promise.all(lanes.map((l) => lane(l.point, join(dir, `lane-${l.point}.db`), random, budget)));

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
      const r = results[i]!;
      const ids = new Set([...r.flows, ...byFlow.keys()]);
      for (const id of ids) {
        if (!r.flows.has(id)) anomalies.push(`invoice for unknown flow ${id}`);
        const mine = byFlow.get(id) ?? [];
        const outcome = r.outcomes.get(id);
        const before = anomalies.length;
        if (outcome?.startsWith("parked")) anomalies.push(`${id}: ${outcome}`);
        if (l.point === 9) {
          const paid = mine.filter((inv) => inv.status === "PAID" && !inv.reversed);
          if (mine.some((inv) => inv.reversed)) anomalies.push(`${id}: a PAID was not read within 20 s and got reversed`);
          if (mine.some((inv) => inv.status === "ISSUED")) anomalies.push(`${id}: invoice left open`);
          if (paid.length > 1 || paid.some((inv) => inv.paidMinor !== 2500)) anomalies.push(`${id}: PAID ${paid.map((inv) => inv.paidMinor)}`);
          if (mine.length > 1 + (r.supersedeAllowed.get(id) ?? 0)) anomalies.push(`${id}: ${mine.length} invoices`);
          const released = r.released.get(id) ?? 0;
          if (released > 1) anomalies.push(`${id}: released ${released} times`);
          if (released > 0 && paid.length !== 1) anomalies.push(`${id}: released without a PAID`);
        } else {
          const sale = rig.controller.saleRecords().find((s) => s.transactionId === id);
          for (const p of checkCustomer({ invoices: mine, sale, supersedeAllowed: false, extraInvoices: r.supersedeAllowed.get(id) ?? 0 })) anomalies.push(`${id}: ${p}`);
        }
        if (anomalies.length > before) anomalies.push(`${id}: killed at ${(r.kills.get(id) ?? []).join(", ") || "no boundary of its own"}; invoices ${mine.map((i) => i.status).join(",")}`);
        customers++;
      }
    });
    process.stdout.write(`crash campaign: ${budget.kills} kills, ${customers} customers, ${anomalies.length} anomalies\n`);
    for (const a of anomalies.slice(0, 40)) process.stdout.write(`  anomaly ${a}\n`);
    expect(budget.kills).toBeGreaterThanOrEqual(KILLS);
    expect(anomalies).toEqual([]);
  }, 3_600_000);
});
