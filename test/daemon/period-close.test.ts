// The shift close on a real `glase-agent run`, against the Glase simulator in its default AND its
// strict profile (docs/simulator.md): sales at two pumps and a refund, then README's
// `glase-agent ctl close-period` exactly as written (plus --socket-dir) — one shop mark, the
// Shop.xml totals and the STD_RECON_003 lines of that period — whose table shows the sales made
// and their net total; `ctl export` (CSV) sums to the same total; a terminal close (006/007) as
// CSV and as JSON; the reports stay in the journal; a report id the contract does not list is a
// usage error naming the ones that work, and marks nothing.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ControlClient } from "../../agent/daemon/sockets/client.ts";
import { VirtualController } from "../../simulator/devices/virtual-controller.ts";
import { VirtualPrinter } from "../../simulator/devices/virtual-printer.ts";
import { startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { AgentProcess, eventually } from "./agent-process.ts";

const exec = promisify(execFile);
const GRADES = [{ id: "95", name: "Blyfri 95", unit: "L" as const, unitPriceMinor: 1899, vatRatePercent: 25 }];
const POINTS = [1, 2];
const terminalOf = (p: number) => `pc00000000000000000000000000000${p}`;
const cleanups: Array<() => Promise<unknown>> = [];

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

async function cli(dir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return exec(process.execPath, ["bin/glase-agent.js", ...args, "--socket-dir", join(dir, "run")]).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}

async function station(profile: "default" | "strict") {
  const dir = await mkdtemp(join(tmpdir(), `glase-close-${profile}-`));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const sim: RunningGlaseSimulator = await startGlaseSimulator({
    port: 0,
    provision: {
      shops: [{ resellerId: "close_shop", userId: "9900", password: "shop-pass", currency: "SEK", allowRefunds: true, receiverAllowsRefunds: true, blocked: false }],
      terminals: POINTS.map((p) => ({ id: terminalOf(p), password: `pw-${p}-close`, name: `pump ${p}`, cashRegister: true, blocked: false })),
      tokens: [],
      settings: {},
      issuers: [],
    },
    settings: { profile, autoCustomer: { enabled: true, confirmAfterMs: 200 } },
  });
  cleanups.push(() => sim.close());
  const controller = new VirtualController({ grades: GRADES, points: POINTS.map((id) => ({ id, gradeIds: ["95"] })), flowRateMilliPerSec: 4_000 });
  const controllerPort = await controller.listenTcp(0);
  cleanups.push(() => controller.close());
  const printer = await VirtualPrinter.listen({ receiptsDir: join(dir, "receipts") });
  cleanups.push(() => printer.close());
  const configFile = join(dir, "station.yaml");
  await writeFile(
    configFile,
    stringify({
      version: 2,
      station: { name: "Close Station", currency: "SEK" },
      glase: { endpoint: sim.endpoint, clientId: "close", timeouts: { requestMs: 5000, pollIntervalMs: 300 }, reseller: { id: "close_shop", userId: "9900", password: "shop-pass" } },
      points: POINTS.map((p) => ({ id: p, kind: "fuel", grades: ["95"], maxPreliminaryMinor: 50_000, nozzleTimeoutS: 60, terminal: { id: terminalOf(p), password: `pw-${p}-close` } })),
      devices: { dispenser: { kind: "tcp", host: "127.0.0.1", port: controllerPort }, printer: { kind: "tcp", host: "127.0.0.1", port: printer.port, width: 58 }, scanner: { kind: "virtual" } },
      stateDir: join(dir, "state"),
      sockets: { dir: join(dir, "run") },
      // Glase's report waits shortened (defaults 5 s and 10 s): the simulator is not-ready once per report.
      flows: { reservationWaitS: 60, deliveryStallS: 20, retryBaseMs: 200, retryMaxMs: 2000, drainTimeoutS: 60, reportWaitS: 0.3, reportRetryS: 0.5 },
    }),
  );
  const agent = await AgentProcess.start(configFile);
  cleanups.push(() => agent.dispose());
  await agent.ready();

  const paidOf = (point: number) => sim.sim.dump().invoices.filter((i) => i.terminalId === terminalOf(point) && i.status === "PAID");
  async function idle(point: number): Promise<void> {
    const status = await ControlClient.connect(join(dir, "run", "status.sock"));
    try {
      await eventually(async () => (await status.request<Array<{ point: number; state: string }>>("points")).find((p) => p.point === point)?.state === "idle", 60_000, `point ${point} idle`);
    } finally {
      status.close();
    }
  }
  /** One customer at `point` fuelling `volumeMilli`; resolves once Glase holds the PAID invoice and the point is idle. */
  async function sale(point: number, volumeMilli: number): Promise<void> {
    await idle(point);
    const before = paidOf(point).length;
    const auth = new Promise<void>((resolve) => {
      const off = controller.onEvent((e) => {
        if (e.type === "request" && e.request.verb === "AUTH" && e.request.point === point) {
          off();
          resolve();
        }
      });
    });
    controller.customerCall(point, { gradeId: "95" });
    await auth;
    controller.liftNozzle(point, { gradeId: "95", volumeMilli });
    await eventually(() => paidOf(point).length > before, 60_000, `a paid invoice on point ${point}`);
    await idle(point);
  }
  return { dir, sim, printer, sale, paidOf };
}

describe.concurrent.each(["default", "strict"] as const)("ctl close-period against the simulator's %s profile", (profile) => {
  it("README's close-period shows the sales made and their net total; the export's CSV sums to it; terminal close as CSV and JSON; bad ids refused", async () => {
    const s = await station(profile);
    await Promise.all(POINTS.map(async (p) => {
      await s.sale(p, 1_000 + 250 * p);
      await s.sale(p, 2_000 + 333 * p);
    }));
    const paid = POINTS.flatMap((p) => s.paidOf(p));
    expect(paid).toHaveLength(4);
    const refunded = paid[0]!;
    const refund = await cli(s.dir, "ctl", "refund", refunded.ersReference!, "5.00", "--point", String(POINTS.find((p) => terminalOf(p) === refunded.terminalId)));
    expect(refund.code, refund.stderr).toBe(0);
    const net = paid.reduce((a, i) => a + i.paidMinor!, 0) - 500;
    // The refund marked its terminal's period before it was sent (periodBefore): that one mark only.
    const marked = (s.sim.sim.dump().periods ?? []).length;
    expect(marked).toBe(1);

    // A report id the contract does not list: a usage error that names the ids, and no mark.
    const bad = await cli(s.dir, "ctl", "close-period", "--report-id", "TERMINAL_PERIOD_REPORT");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Reconciliation/Shop.xml, Reconciliation/STD_RECON_001.xml, Reconciliation/STD_RECON_002.xml, Reconciliation/STD_RECON_003.xml, Reconciliation/STD_RECON_004.xml");
    const wrongScope = await cli(s.dir, "ctl", "close-period", "--scope", "terminal", "--point", "1", "--report-id", "Reconciliation/Shop.xml");
    expect(wrongScope.code).toBe(2);
    expect(wrongScope.stderr).toContain("Reconciliation/STD_RECON_006.xml, Reconciliation/STD_RECON_007.xml");
    expect(s.sim.sim.dump().periods ?? []).toHaveLength(marked);

    // README's line, as written (its socket directory given, as a technician's shell finds it).
    const readme = await readFile("README.md", "utf8");
    expect(readme).toMatch(/^npx glase-agent ctl close-period +#/m);
    const close = await cli(s.dir, "ctl", "close-period");
    expect(close.code, close.stderr).toBe(0);
    const text = close.stdout;
    expect(text).toMatch(/^Period report, whole shop$/m);
    expect(text).toMatch(/^Sales +4$/m);
    expect(text).toMatch(/^Refunds +1$/m);
    expect(text).toMatch(new RegExp(`^Total \\(net of refunds\\) SEK +${(net / 100).toFixed(2).replace(".", "\\.")}$`, "m"));
    for (const inv of paid) expect(text).toMatch(new RegExp(`${inv.ersReference} +${(inv.paidMinor! / 100).toFixed(2).replace(".", "\\.")}$`, "m"));
    expect(text).not.toContain("! ");
    expect(text).toContain("reports: Reconciliation/Shop.xml, Reconciliation/STD_RECON_003.xml");

    // The bookkeeping export of the same sales adds up to the report's total.
    const exported = await cli(s.dir, "ctl", "export", "--since", "1d", "--format", "csv");
    expect(exported.code, exported.stderr).toBe(0);
    const rows = exported.stdout.trim().split("\r\n").slice(1);
    expect(rows).toHaveLength(5);
    expect(rows.reduce((a, l) => a + Math.round(Number(l.split(",")[9]) * 100), 0)).toBe(net);

    // The report is kept in the journal: `ctl periods` reads it back from the flow's final state.
    const periods = await cli(s.dir, "ctl", "periods", "--json");
    expect(periods.code, periods.stderr).toBe(0);
    const kept = JSON.parse(periods.stdout);
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ scope: "shop", reportIds: ["Reconciliation/Shop.xml", "Reconciliation/STD_RECON_003.xml"], summary: { salesCount: 4, salesTotalMinor: net, linesRefundCount: 1, problems: [] } });
    const again = await cli(s.dir, "ctl", "periods", "--flow", kept[0].flowId);
    expect(again.stdout).toContain(text.split("\n").find((l) => l.startsWith("Total"))!);

    // A terminal's shift: one more sale on point 2, then its close (006 totals + 007 lines). The
    // terminal's period is its own: it holds every sale of point 2 since its last (here: no) mark.
    await s.sale(2, 1_500);
    const mine = s.paidOf(2);
    const mineTotal = mine.reduce((a, i) => a + i.paidMinor!, 0) - (refunded.terminalId === terminalOf(2) ? 500 : 0);
    const csv = await cli(s.dir, "ctl", "close-period", "--scope", "terminal", "--point", "2", "--csv");
    expect(csv.code, csv.stderr).toBe(0);
    const lines = csv.stdout.trim().split("\r\n");
    expect(lines[0]).toBe("type,transactionPeriodId,terminalId,cashierId,ersReference,amount,currency,salesCount");
    for (const inv of mine) expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^sale,\\d+,${terminalOf(2)},point-2,${inv.ersReference},${(inv.paidMinor! / 100).toFixed(2)},SEK,$`)));
    expect(lines.at(-1)).toMatch(new RegExp(`^total,\\d+,${terminalOf(2)},,,${(mineTotal / 100).toFixed(2)},SEK,3$`));
    expect(lines).toHaveLength(1 + 3 + (refunded.terminalId === terminalOf(2) ? 1 : 0) + 1);
    const json = await cli(s.dir, "ctl", "close-period", "--scope", "terminal", "--point", "2", "--json", "--print");
    expect(json.code, json.stderr).toBe(0);
    const r = JSON.parse(json.stdout);
    expect(r).toMatchObject({ scope: "terminal", reportIds: ["Reconciliation/STD_RECON_006.xml", "Reconciliation/STD_RECON_007.xml"], summary: { salesCount: 0, salesTotalMinor: 0, lines: [], problems: [] }, printed: true });
    await eventually(() => s.printer.receipts.some((p) => JSON.stringify(p).includes("Period report, terminal")), 30_000, "the printed period report");
  }, 240_000);
});
