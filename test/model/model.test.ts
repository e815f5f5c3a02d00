// The model campaign's default tier (issue 9): a few hundred fast-check runs of the real engine,
// runner and SQLite journal against the Glase reference model and the forecourt model, plus the
// phase-1 findings replayed one by one. The long tier is `npm run test:model` (test/model/run.ts).
//
// Until the fixes of issue 9 (branch i9fix) are merged, today's known violations are tolerated in
// the property (counted and printed) and each finding is an `it.fails`: it passes while the bug is
// there. After the merge the lead runs MODEL_STRICT=1 npm test, and turns the it.fails into it.
import { describe, expect, it } from "vitest";
import { runCampaign } from "./campaign.ts";
import { KNOWN_BUGS, noiseAlarms, strict, toleratedCodes } from "./known-bugs.ts";
import { SCENARIOS, type Scenario, runScenario } from "./scenarios.ts";
import { DEFAULT_GEN, Fuel, Kiosk } from "./commands.ts";

const RUNS = Number(process.env.MODEL_SHORT_RUNS ?? 400);
// Pinned so `npm test` is reproducible; the long tier draws a fresh seed each time.
const SEED = Number(process.env.MODEL_SEED ?? 20_250_315);
const codesOf = (issue: string) => new Set(KNOWN_BUGS.filter((b) => b.issue === issue).flatMap((b) => b.codes));

describe("model campaign, short tier", () => {
  it(`${RUNS} runs: no violation outside the known-bugs list`, async () => {
    const tolerated = toleratedCodes();
    const r = await runCampaign({ numRuns: RUNS, seed: SEED, gen: DEFAULT_GEN, tolerated: (c) => tolerated.has(c), ignoredAlarms: noiseAlarms() });
    console.log(r.coverage.format());
    if (r.tolerated.size > 0) console.log(`known bugs tolerated: ${[...r.tolerated].map(([c, n]) => `${c}=${n}`).join(" ")}`);
    console.log(`model campaign (short tier, seed ${SEED}): ${r.runs} runs, ${r.steps} steps, ${r.failed ? 1 : 0} violations`);
    expect(r.report ?? "").toBe("");
    expect(r.coverage.runsWith.get("commit") ?? 0).toBeGreaterThan(RUNS / 20);
    expect(r.coverage.runsWith.get("pos-paid") ?? 0).toBeGreaterThan(RUNS / 20);
    expect(r.coverage.runsWith.get("restart") ?? 0).toBeGreaterThan(RUNS / 20);
  }, 120_000);

  it("a plain fuelling and a kiosk sale break no invariant, and a run replays exactly", async () => {
    const calm: Scenario = {
      issue: "none",
      found: "",
      steps: () => [
        new Fuel({ point: 2, app: { action: "confirm", afterMs: 3000 }, liftAfterMs: 2000, targetMilli: 20_000, perTickMilli: 800, tickMs: 1000, hangUpAfterMs: 1000 }, 60_000),
        new Kiosk(2500, { action: "confirm", afterMs: 4000 }, 30_000),
      ],
    };
    const a = await runScenario(calm, noiseAlarms());
    const b = await runScenario(calm, noiseAlarms());
    expect(a.violations.filter((v) => !toleratedCodes().has(v.code))).toEqual([]);
    expect(a.trace).toContain("PAID");
    expect(b.trace).toBe(a.trace);
  });
});

describe("model campaign, phase-1 findings (today's main; fixed on i9fix)", () => {
  for (const sc of SCENARIOS) {
    const name = `#${sc.issue} (${sc.found}) is safe`;
    (strict() ? it : it.fails)(name, async () => {
      const { violations } = await runScenario(sc, noiseAlarms());
      const codes = codesOf(sc.issue);
      expect(violations.filter((v) => codes.has(v.code)).map((v) => `${v.code}: ${v.message}`)).toEqual([]);
    });
  }
});
