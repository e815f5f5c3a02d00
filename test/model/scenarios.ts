// The campaign's findings, written down: for each bug it found (issue 9's numbered sequences and
// the ones after), the minimal sequence it shrank to, rewritten as explicit commands so it survives
// generator changes. Each is a regression test: `runScenario` plays it through the same world, judge
// and finale as the campaign, and `scenarioVerdict` says what is still wrong (nothing, once fixed).
import { finale } from "./campaign.ts";
import { Advance, BoardFault, Fuel, GlaseFault, Kiosk, Kill, KillAt, LinkDrop, ModelViolation, type Run, Sale, Slow, Technician, WallStep } from "./commands.ts";
import type { AppAction, FuelPlan } from "./customers.ts";
import { Invariants } from "./invariants.ts";
import { type Violation, World, type WorldConfig } from "./world.ts";

type Step = Fuel | Kiosk | Sale | GlaseFault | Slow | LinkDrop | BoardFault | Kill | KillAt | Technician | Advance | WallStep;

export interface Scenario {
  /** Issue 9 sequence number, or "new-…" for a finding outside the issue's list. */
  readonly issue: string;
  /** How the campaign found it: "by itself", or the hint it needed. */
  readonly found: string;
  readonly world?: Partial<WorldConfig>;
  /** The engine must refuse this world at start with this error code (nothing runs). */
  readonly refusedAtBoot?: string;
  /** More than "no violation": what else must be true of the world afterwards (each string a failure). */
  readonly require?: (w: World) => string[];
  readonly steps: () => readonly Step[];
}

export interface ScenarioResult {
  readonly violations: readonly Violation[];
  readonly trace: string;
  readonly bootError?: { readonly code?: string; readonly message: string };
  /** What `require` found wrong. */
  readonly unmet?: readonly string[];
}

const fuel = (point: number, app: AppAction, appMs: number, lift: number | undefined, target: number, after: number, perTick = 200, hang = 0): Fuel => {
  const ev = point === 3;
  const plan: FuelPlan = { point, app: { action: app, afterMs: appMs }, ...(lift !== undefined ? { liftAfterMs: lift } : {}), targetMilli: target, perTickMilli: ev ? 5 : perTick, tickMs: ev ? 5000 : 1000, hangUpAfterMs: hang };
  return new Fuel(plan, after);
};
const reconcile = (after: number) => new Technician("reconcile", { scope: "shop", terminal: 0, reportId: "Reconciliation/Shop.xml" }, after);

export const SCENARIOS: readonly Scenario[] = [
  {
    // The shrunk sequence (one customer, one reconciliation) loses a step in ~15 % of replays: whether an
    // append lands inside the compaction's transaction is thread timing. Ten rounds make it near-certain.
    issue: "1",
    found: "hint compaction-fault (timing-dependent: ~15 % per round)",
    world: { compactionFault: true },
    steps: () => Array.from({ length: 10 }, (_, i) => [fuel(1 + (i % 2), "confirm", 500, undefined, 6, 1000, 1016, 7924), reconcile(200), new Advance(61_000)]).flat(),
  },
  { issue: "2", found: "by itself", steps: () => [fuel(3, "confirm", 500, 0, 500, 1050), new LinkDrop(30_021, 35_000)] },
  { issue: "2", found: "by itself (variant: STOP not answered, sale still authorized)", steps: () => [new BoardFault(2, "fails", 1, 200), fuel(2, "confirm", 0, 1001, 1, 1000), new Technician("stop", { point: 2 }, 30_000), new Advance(1000)] },
  { issue: "3", found: "by itself", steps: () => [fuel(3, "confirm", 0, 0, 500, 0), new Advance(300_040)] },
  { issue: "4", found: "by itself", steps: () => [new GlaseFault("shop", "markTransactionPeriod", "lostAnswer", 1, 0), reconcile(30_000)] },
  { issue: "5", found: "by itself, once the app delays reached the 60-s cancel point (generator range widened)", steps: () => [new Kiosk(100, { action: "slow", afterMs: 54_141 }, 1000), new Advance(1000)] },
  { issue: "6", found: "by itself", steps: () => [fuel(1, "confirm", 40_000, 0, 1, 0), new GlaseFault(undefined, "refundPayment", "applied90", 1, 41_455), new Technician("refund", { pick: 0, percent: 25 }, 1000)] },
  { issue: "7", found: "by itself", steps: () => [fuel(1, "confirm", 500, 0, 1, 30_000)] },
  { issue: "8", found: "by itself", steps: () => [fuel(1, "confirm", 0, 0, 1, 0), reconcile(200), new GlaseFault(undefined, "getPaymentStatus", "code90", 6, 30_000)] },
  { issue: "9", found: "by itself", steps: () => [fuel(2, "confirm", 0, undefined, 0, 0), new Technician("stop", { point: 2 }, 1000)] },
  { issue: "10", found: "generator bias (link drops longer than the commit deadline)", steps: () => [fuel(1, "confirm", 0, undefined, 0, 1000), new LinkDrop(258_003, 258_002)] },
  // Fixed by refusing the configuration: two points on one terminal never start (CONFIG_INVALID naming both).
  { issue: "11", found: "hint shared-terminal", world: { sharedTerminal: true }, refusedAtBoot: "CONFIG_INVALID", steps: () => [fuel(1, "confirm", 0, undefined, 0, 0), fuel(2, "confirm", 0, undefined, 0, 0)] },
  { issue: "12a", found: "by itself", steps: () => [fuel(1, "confirm", 0, undefined, 0, 1000), new LinkDrop(258_003, 200), new Advance(257_802), new Kill(false, 0, 0)] },
  { issue: "12b", found: "hint wall-step", world: { commitTimeoutS: 900 }, steps: () => [fuel(3, "confirm", 500, 0, 500, 1030), new WallStep(600_000, 0), new Advance(186_683), new LinkDrop(150_000, 53_903)] },
  { issue: "new-A", found: "by itself (kiosk; slow periods ≈ the call timeout)", steps: () => [new Slow("*", 4995, 65_201, 200), new Kiosk(100, { action: "confirm", afterMs: 500 }, 0), new Advance(65_000)] },
  { issue: "new-A", found: "by itself (pump; a sendInvoice processed after the timeout)", steps: () => [new GlaseFault(undefined, undefined, "hang", 1, 1000), fuel(2, "confirm", 0, 0, 1001, 15_050)] },
  { issue: "new-A", found: "by itself (kiosk; a kill during sendInvoice)", steps: () => [new Kiosk(100, { action: "confirm", afterMs: 0 }, 0), new Kill(false, 0, 1000)] },
  // Found by the long tier after the first new-A fix (which re-sent once the lost request could no
  // longer be processed): the customer paid the first invoice just as the re-send superseded it; and a
  // re-send refused outright ended the flow 'offline' with the first invoice still open.
  {
    issue: "new-A",
    found: "by itself (kiosk; paid at the moment of the re-send)",
    world: { latencyMs: 250 },
    // The judge excuses a payment racing the superseding invoice; here there must be no such race:
    // an open invoice of ours is polled through its windows, so the customer's payment is collected.
    require: (w) => (w.releases.length === 1 && [...w.model.invoices.values()].every((i) => i.cause !== "reversed") ? [] : ["the customer's payment of the invoice whose answer was lost was not collected"]),
    steps: () => [new GlaseFault(undefined, undefined, "lostAnswer", 1, 0), new Kiosk(100, { action: "confirm", afterMs: 20_001 }, 0), new GlaseFault(undefined, undefined, "code90", 1, 30_000)] },
  { issue: "new-A", found: "by itself (kiosk; the re-send refused)", steps: () => [new GlaseFault(undefined, undefined, "hang", 1, 200), new Kiosk(100, { action: "confirm", afterMs: 40_000 }, 200), new GlaseFault(undefined, "sendInvoice", "refused", 1, 0), new Advance(19_910)] },
  // And: the superseding invoice itself hung (processed late); superseding again at once and ending
  // left the late one open after the flow — the customer paid it.
  { issue: "new-A", found: "by itself (kiosk; the superseding invoice processed late)", steps: () => [new GlaseFault(undefined, "sendInvoice", "hang", 2, 0), new Kiosk(100, { action: "confirm", afterMs: 60_511 }, 60_510)] },
  // And: reads of it kept timing out (slow Glase) while the customer paid it; at the windows' end it
  // was superseded on a read that had not answered — the payment was never collected.
  { issue: "new-A", found: "by itself (kiosk; superseded on an unanswered read)", steps: () => [new Kiosk(100, { action: "confirm", afterMs: 40_000 }, 0), new Kill(false, 0, 0), new Slow("*", 1495, 57_011, 56_010), new Advance(1000)] },
  {
    // #8 again: an accepted commit 8 s before the commit deadline, its status reads answered 90, and
    // the flow parked at the deadline — it stopped reading a PAID invoice, which was reversed.
    issue: "8",
    found: "by itself, once nothing was tolerated (long tier)",
    world: { commitTimeoutS: 900 },
    steps: () => [
      new GlaseFault(undefined, "commitReservation", "slow", 1, 0),
      fuel(2, "confirm", 0, 0, 1, 200),
      new LinkDrop(831_725, 188_665),
      new KillAt("sending-invoice", false, 29_309),
      reconcile(3000),
      new GlaseFault(undefined, "getPaymentStatus", "code90", 2, 206_730),
      new Advance(294_659),
      new KillAt("sending-invoice", false, 129_412),
    ],
  },
  // The pump's face of the refused re-send: it ended 'offline' with the customer's reservation open.
  { issue: "new-A", found: "by itself (pump; the superseding invoice refused)", steps: () => [new GlaseFault(undefined, undefined, "hang", 1, 1000), fuel(2, "confirm", 500, undefined, 0, 0), new GlaseFault(undefined, "sendInvoice", "refused", 1, 30_000)] },
  {
    // Kiosk reads refused (90, not processed) on a slow link: polls paced from their answers (1 s after
    // a 2.5 s round trip) reached Glase only 20 s after the payment — reversed.
    issue: "new-E",
    found: "by itself, once nothing was tolerated (long tier)",
    steps: () => [
      new GlaseFault("T0000000000000009", "getPaymentStatus", "code90", 5, 30_000),
      new Slow("*", 1245, 20_201, 200),
      new Kiosk(100, { action: "confirm", afterMs: 0 }, 0),
      new Advance(20_000),
    ],
  },
  // Refund checks need the period that holds the refund: another flow marking the same terminal's
  // period in between moved the row out of the period read, and the refund was sent again.
  {
    issue: "new-B",
    found: "written while fixing #6, not by the campaign (two refunds on one terminal, both answers lost)",
    steps: () => [fuel(1, "confirm", 0, 0, 1000, 60_000), new GlaseFault(undefined, "refundPayment", "applied90", 2, 0), new Technician("refund", { pick: 0, percent: 25 }, 0), new Technician("refund", { pick: 0, percent: 50 }, 120_000)],
  },
  {
    issue: "new-B",
    found: "written while fixing #6, not by the campaign (a terminal reconciliation during a refund check)",
    steps: () => [fuel(1, "confirm", 0, 0, 1000, 60_000), new GlaseFault(undefined, "refundPayment", "applied90", 1, 0), new Technician("refund", { pick: 0, percent: 25 }, 1000), new Technician("reconcile", { scope: "terminal", terminal: 0, reportId: "Reconciliation/STD_RECON_006.xml" }, 120_000)],
  },
  {
    // The board's link came back 13 s before the commit deadline, but the stop was re-sent only after
    // a backoff grown during the outage: the running figure was committed at the deadline.
    issue: "new-C",
    found: "by itself, once nothing was tolerated (EV, link lost from the stop to near the commit deadline)",
    steps: () => [fuel(3, "confirm", 500, 0, 500, 6050), new LinkDrop(221_213, 0), new Advance(240_000)],
  },
  {
    // The stop lived in memory: a restart put the point back into service and it was authorized.
    issue: "new-D",
    found: "reported to the brief; the world forgot stops at a restart, so the campaign could not see it",
    steps: () => [new Technician("stop", { point: 2 }, 0), new Kill(false, 0, 0), fuel(2, "confirm", 0, 0, 1000, 30_000)],
  },
  // Hostile review of issue 9 (docs/model-campaign.md): a backend that lists no refund rows, a refund
  // processed after the check's two-timeout wait, 93 applied, a status read refused after the commit.
  {
    issue: "review-1",
    found: "review (independent model: refunds unlisted in the details report)",
    world: { refundRowCashier: "unlisted" },
    steps: () => [fuel(1, "confirm", 40_000, 0, 1, 0), new GlaseFault(undefined, "refundPayment", "applied90", 1, 41_455), new Technician("refund", { pick: 0, percent: 25 }, 1000)],
  },
  { issue: "review-2a", found: "review (a refund processed three call timeouts late)", steps: () => [fuel(1, "confirm", 40_000, 0, 1, 0), new GlaseFault(undefined, "refundPayment", "hangLong", 1, 41_455), new Technician("refund", { pick: 0, percent: 25 }, 1000)] },
  // Review 2 of issue 9 (A, B): Glase processes a request whose answer was lost later than any wait
  // of ours (§4.1 sets no bound). A late commit's PAID must be read; a late preliminary sendInvoice
  // supersedes the invoice the flow runs on, and nothing may be left RESERVED or unpaid unseen.
  {
    // The lapse timer stops the delivery at 180 s; seven 90s on updateInvoice push the commit to 221 s;
    // it is processed 30 s late. The RESERVED read at 241 s is past the commit deadline (240 s):
    // lead5 parked there, and the late commit's PAID (251 s) was reversed unread.
    issue: "review2-A",
    found: "review 2 (a commit near the deadline processed three call timeouts late)",
    steps: () => [new GlaseFault(undefined, "updateInvoice", "code90", 7, 0), new GlaseFault(undefined, "commitReservation", "hangLong", 1, 0), fuel(1, "confirm", 500, 0, 10_000_000, 400_000, 100)],
  },
  { issue: "review2-B", found: "review 2 (a preliminary sendInvoice processed three call timeouts late, the customer confirming at once)", steps: () => [new GlaseFault(undefined, "sendInvoice", "hangLong", 1, 0), fuel(1, "confirm", 500, 0, 2000, 60_000)] },
  { issue: "review2-B", found: "review 2 (a preliminary sendInvoice processed three call timeouts late, during a long delivery)", steps: () => [new GlaseFault(undefined, "sendInvoice", "hangLong", 1, 0), fuel(1, "confirm", 25_000, 0, 200_000, 120_000)] },
  { issue: "review-4", found: "review (93 answered after the refund was applied)", steps: () => [fuel(1, "confirm", 40_000, 0, 1, 0), new GlaseFault(undefined, "refundPayment", "applied93", 1, 41_455), new Technician("refund", { pick: 0, percent: 25 }, 1000)] },
  // Found by the short tier itself once applied93 existed: a sendInvoice answered 93 but applied ended
  // the flow 'offline' with the customer's reservation open.
  { issue: "review-4", found: "by itself (sendInvoice applied, answered 93)", steps: () => [new GlaseFault(undefined, undefined, "applied93", 1, 0), fuel(1, "confirm", 500, undefined, 0, 30_000)] },
  {
    // Kiosk reads one at a time on a slow Glase (~3 s round trip, just under the 3-s status timeout):
    // a 54 and five 90s after the payment cost six round trips, and the first good read reached
    // Glase 20.9 s after PAID — reversed. Reads now overlap (a new one each poll interval while one
    // is outstanding, at most 3 in flight), so six refused reads take six seconds.
    issue: "new-F",
    found: "by itself (long tier: a 54 and four 90s on a ~3 s round trip; rebuilt here with five 90s, the longest sequential gap)",
    steps: () => [
      new Slow("*", 1490, 120_000, 0),
      new Kiosk(100, { action: "confirm", afterMs: 3000 }, 3000),
      new GlaseFault("T0000000000000009", "getPaymentStatus", "read54", 1, 0),
      new GlaseFault("T0000000000000009", "getPaymentStatus", "code90", 5, 0),
      new Advance(30_000),
    ],
  },
  {
    // The first sendInvoice hung (processed 5 s after its timeout): the flow polled the terminal's
    // current invoice, and at the windows' end superseded it with a new invoice — which hung too.
    // The customer had paid the first one; the flow read it, released and ended. The late superseding
    // invoice then opened under nobody's watch, the next customer paid it: reversed (money taken for
    // nothing, had it been read). A flow now watches every invoice it may have sent until it is
    // settled: it reads on until the lost send can no longer land, closes a late one, and reads (and
    // alarms about) a second payment.
    issue: "new-G",
    found: "by itself (long tier, seed 426125608)",
    require: (w) => {
      const late = [...w.model.invoices.values()].filter((i) => i.clientInvoiceId?.startsWith("K9-") && i.status !== "PAID" && i.status !== "CANCELED");
      const paidTwice = [...w.model.invoices.values()].filter((i) => i.clientInvoiceId?.startsWith("K9-") && i.status === "PAID").length > 1;
      return [
        ...(late.length === 0 ? [] : [`invoice(s) left open: ${late.map((i) => `${i.ref} ${i.status}`).join(", ")}`]),
        ...(paidTwice && !w.alarms.some((a) => a.alarm.code === "paid-twice") ? ["a second payment of the sale was not told to a technician (paid-twice)"] : []),
      ];
    },
    steps: () => [
      new GlaseFault(undefined, "sendInvoice", "hang", 2, 0),
      new Kiosk(100, { action: "confirm", afterMs: 45_006 }, 15_000),
      new Sale(100, { action: "confirm", afterMs: 500 }, { kind: "delivered", afterMs: 200 }, 1000),
      new Advance(59_010),
    ],
  },
  {
    // The same, the next customer paying the late invoice the instant it opens (before any read can
    // see it open): it is read PAID, nothing is released for it, and a technician is told to refund it.
    issue: "new-G",
    found: "variant of the finding (written, not shrunk): the late invoice paid at once",
    require: (w) => {
      const paid = [...w.model.invoices.values()].filter((i) => i.clientInvoiceId?.startsWith("K9-") && i.status === "PAID").sort((a, b) => a.sentAt - b.sentAt);
      if (paid.length !== 2) return [`expected the late invoice paid too (the variant's point), got ${paid.length} paid`];
      const told = w.alarms.some((a) => a.alarm.code === "paid-twice" && a.alarm.message.includes(paid[1]!.ersReference!));
      return told && w.releases.length === 1 ? [] : ["the second payment was released on, or not told to a technician with its ersReference (paid-twice)"];
    },
    steps: () => [
      new GlaseFault(undefined, "sendInvoice", "hang", 2, 0),
      new Kiosk(100, { action: "confirm", afterMs: 45_006 }, 15_000),
      new Sale(100, { action: "confirm", afterMs: 0 }, { kind: "delivered", afterMs: 200 }, 1000),
      new Advance(59_010),
    ],
  },
  { issue: "review-3", found: "review (status reads refused with 33 around the commit)", steps: () => [fuel(1, "confirm", 0, 0, 1, 0), new GlaseFault(undefined, "getPaymentStatus", "read33", 6, 30_000)] },
];

export const BASE_WORLD: WorldConfig = { seed: 1, sharedTerminal: false, compactionFault: false, commitTimeoutS: 300, latencyMs: 5, reportNotReadyMs: 0, submitReceipts: false };

let n = 0;

/** Plays a scenario (nothing thrown: a violation does not stop it) and returns what the judge saw. */
export async function runScenario(sc: Scenario): Promise<ScenarioResult> {
  const w = new World({ ...BASE_WORLD, ...sc.world }, `scenario-${sc.issue}-${++n}`);
  const r: Run = { w, inv: new Invariants(w), steps: 0 };
  try {
    try {
      await w.boot();
    } catch (e) {
      const err = e as { code?: string; message?: string };
      return { violations: [...w.violations], trace: w.trace(), bootError: { ...(err.code ? { code: err.code } : {}), message: String(err.message ?? e) } };
    }
    for (const s of sc.steps()) await s.run({}, r).catch((e: unknown) => {
      if (!(e instanceof ModelViolation)) throw e;
    });
    await finale(r);
    const unmet = sc.require?.(w) ?? [];
    return { violations: [...w.violations], trace: w.trace(), ...(unmet.length > 0 ? { unmet } : {}) };
  } finally {
    await w.dispose();
  }
}

/** What is still wrong with a scenario's run (empty = safe). */
export function scenarioVerdict(sc: Scenario, r: ScenarioResult): string[] {
  if (sc.refusedAtBoot !== undefined) {
    if (r.bootError?.code !== sc.refusedAtBoot) return [`expected the engine to refuse this world with ${sc.refusedAtBoot}, got ${r.bootError ? `${r.bootError.code}: ${r.bootError.message}` : "a start"}`];
    return [];
  }
  if (r.bootError) return [`engine refused to start: ${r.bootError.code}: ${r.bootError.message}`];
  return [...r.violations.map((v) => `${v.code}: ${v.message}`), ...(r.unmet ?? [])];
}
