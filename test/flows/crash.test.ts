// Crash tests with real processes: the child agent is SIGKILLed at EVERY journal write boundary of
// a preliminary payment (before and after each write, i.e. around every effect), restarted on the
// same journal, and the simulator's ledger must show exactly one correct outcome per customer.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TERMINALS } from "./harness/station.ts";
import { ChildAgent, checkCustomer, flowIds, settled, startRig, type Rig } from "./harness/crash-rig.ts";

let rig: Rig;
let dir: string;

beforeAll(async () => {
  rig = await startRig();
  dir = mkdtempSync(join(tmpdir(), "crash-"));
});

afterAll(async () => {
  await rig.close();
  rmSync(dir, { recursive: true, force: true });
});

const TERMINAL = TERMINALS[0]!.terminalId;
const invoicesSince = (n: number) => rig.sim.sim.dump().invoices.slice(n).filter((i) => i.terminalId === TERMINAL);

/** One customer on point 1 with the child killed at boundary killAt (undefined: no kill). */
async function customerWithCrash(journal: string, killAt: number | undefined, trace = false) {
  const before = rig.sim.sim.dump().invoices.length;
  const first = new ChildAgent(rig, journal, { ...(killAt !== undefined ? { killAt } : {}), trace });
  await first.line(/^READY$/);
  rig.controller.customerCall(1);
  let second: ChildAgent | undefined;
  try {
    let outcomes: Map<string, string>;
    if (killAt === undefined) {
      const [id] = await first.line(/^FLOW (\S+)/).then((m) => [m[1]!]);
      outcomes = await settled(first, [id!]);
    } else {
      await first.exited;
      second = new ChildAgent(rig, journal);
      await second.line(/^READY$/);
      outcomes = await settled(second, [...new Set([...flowIds(first), ...flowIds(second)])]);
    }
    const ids = [...outcomes.keys()];
    const sale = rig.controller.saleRecords().find((r) => ids.includes(r.transactionId));
    return { first, second, outcomes, invoices: invoicesSince(before), sale };
  } finally {
    await second?.kill();
    await first.kill();
  }
}

/**
 * Between sendInvoice leaving and its answer being journaled, a crash loses the invoiceReference;
 * Glase offers no way to find it (getPaymentStatus without a reference tells the status only), so
 * recovery supersedes it with a fresh sendInvoice (§6.4, §6.15): the lost one ends CANCELED.
 */
function lostSendWindow(label: string): boolean {
  return /^after:[^:]+:sending-invoice$/.test(label) || /^before:[^:]+:awaiting-reservation$/.test(label);
}

describe("crash at every journal write boundary (preliminary payment)", () => {
  it("kills the child at each boundary; every customer ends PAID with the metered amount or CANCELED, one commit at most", async () => {
    const dry = await customerWithCrash(join(dir, "dry.db"), undefined, true);
    const labels = dry.first.lines.filter((l) => l.startsWith("BOUNDARY")).map((l) => l.split(" ")[2]!);
    expect(dry.outcomes.size).toBe(1);
    expect([...dry.outcomes.values()]).toEqual(["paid"]);
    expect(labels.length).toBeGreaterThanOrEqual(16);
    expect(checkCustomer({ invoices: dry.invoices, sale: dry.sale, supersedeAllowed: false })).toEqual([]);

    const anomalies: string[] = [];
    for (let n = 1; n <= labels.length; n++) {
      const label = labels[n - 1]!;
      const r = await customerWithCrash(join(dir, `kill-${n}.db`), n);
      const problems = checkCustomer({ invoices: r.invoices, sale: r.sale, supersedeAllowed: lostSendWindow(label) });
      const parked = [...r.outcomes.values()].filter((o) => o.startsWith("parked"));
      if (parked.length) problems.push(`parked: ${parked.join(",")}`);
      if (r.sale && r.sale.amountMinor > 0 && ![...r.outcomes.values()].includes("paid")) problems.push(`delivered but outcome ${[...r.outcomes.values()]}`);
      for (const p of problems) anomalies.push(`kill at ${n} (${label}): ${p}`);
      process.stdout.write(`crash boundary ${n}/${labels.length} ${label}: ${[...r.outcomes.values()].join(",") || "no flow"}${problems.length ? ` ANOMALY ${problems.join("; ")}` : ""}\n`);
    }
    expect(anomalies).toEqual([]);
  }, 900_000);
});
