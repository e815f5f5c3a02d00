// The parent side of the crash tests: the Glase simulator and the virtual controller live here
// (they survive the child), the child agent is spawned with `node --import tsx` and killed by its
// own crash hook. Everything waits on child output lines or polled conditions, never on sleeps.
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { SaleRecord } from "../../../drivers/dispenser/contract.ts";
import { VirtualController } from "../../../simulator/devices/virtual-controller.ts";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator, type InvoiceRecord } from "../../../simulator/glase/index.ts";
import { PROVISION, until } from "./station.ts";

const CHILD = fileURLToPath(new URL("./agent-child.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface Rig {
  readonly sim: RunningGlaseSimulator;
  readonly controller: VirtualController;
  readonly ctrlPort: number;
  close(): Promise<void>;
}

export async function startRig(): Promise<Rig> {
  // The strict profile: a commit's PAID must be read within 20 s after a restart too.
  const sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION), settings: { profile: "strict" } });
  sim.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 100 });
  // The board keeps every sale record of the run: the checks compare each customer's invoice with it.
  const controller = new VirtualController({ points: 2, flowRateMilliPerSec: 20_000, tickMs: 50, stallTimeoutMs: 3000, saleRecordCapacity: 1_000_000 });
  controller.setAutoCustomer({ volumeMilli: 3_000, liftAfterMs: 30, gradeId: "95" });
  const ctrlPort = await controller.listenTcp(0);
  return {
    sim,
    controller,
    ctrlPort,
    async close() {
      await controller.close();
      await sim.close();
    },
  };
}

/**
 * Bundles the child once with esbuild (packages stay external) so the campaign's hundreds of
 * restarts do not each pay tsx's transform. The bundle lives under node_modules/.cache so bare
 * imports resolve; the Glase client reads its XSD next to the module, so that is copied along.
 */
export async function bundleChild(): Promise<string> {
  const { build } = await import("esbuild");
  const outDir = join(ROOT, "node_modules", ".cache", "glase-crash-child");
  mkdirSync(join(outDir, "wsdl"), { recursive: true });
  copyFileSync(join(ROOT, "contracts", "glase", "wsdl", "cashregister-2.xsd"), join(outDir, "wsdl", "cashregister-2.xsd"));
  const outfile = join(outDir, "agent-child.mjs");
  await build({ entryPoints: [CHILD], bundle: true, platform: "node", format: "esm", target: "node20", packages: "external", outfile, logLevel: "warning" });
  return outfile;
}

/** A running child agent and the lines it printed. */
export class ChildAgent {
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly proc: ChildProcess;
  private waiters: Array<() => void> = [];

  constructor(rig: Rig, journalPath: string, opts: { killAt?: number; trace?: boolean; settings?: object; points?: readonly number[]; script?: string; env?: Record<string, string> } = {}) {
    // `script`: a pre-bundled child (bundleChild) that starts in a fraction of tsx's time.
    const args = opts.script ? [opts.script] : ["--import", "tsx", CHILD];
    this.proc = spawn(process.execPath, args, {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "inherit"],
      env: {
        ...process.env,
        JOURNAL_PATH: journalPath,
        GLASE_ENDPOINT: rig.sim.endpoint,
        CTRL_PORT: String(rig.ctrlPort),
        ...(opts.killAt !== undefined ? { KILL_AT: String(opts.killAt) } : {}),
        ...(opts.trace ? { TRACE_BOUNDARIES: "1" } : {}),
        ...(opts.settings ? { SETTINGS: JSON.stringify(opts.settings) } : {}),
        ...(opts.points ? { POINTS: opts.points.join(",") } : {}),
        ...opts.env,
      },
    });
    this.proc.stdin!.on("error", () => undefined); // EPIPE after the child killed itself (send)
    createInterface({ input: this.proc.stdout! }).on("line", (l) => {
      this.lines.push(l);
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
    this.exited = new Promise((resolve) => this.proc.on("exit", (code) => (this.wake(), resolve(code))));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Waits for a line matching `re` (or the child's death, which rejects). */
  async line(re: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    let from = 0;
    for (;;) {
      for (; from < this.lines.length; from++) {
        const m = this.lines[from]!.match(re);
        if (m) return m;
      }
      if (!this.alive) throw new Error(`child exited before printing ${re}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${re}; got ${this.lines.slice(-5).join(" | ")}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  send(line: string): void {
    // A child that killed itself at a write boundary a moment ago: the line is lost like the rest of
    // what it was doing (EPIPE is the pipe saying so; unhandled, it failed a passing campaign).
    if (!this.alive || this.proc.stdin!.destroyed) return;
    this.proc.stdin!.write(`${line}\n`);
  }

  async kill(): Promise<void> {
    if (this.alive) this.proc.kill("SIGKILL");
    await this.exited;
  }
}

/** Flows the child reported as started (FLOW) or recovered. */
export function flowIds(child: ChildAgent): string[] {
  const ids = new Set<string>();
  for (const l of child.lines) {
    const m = l.match(/^FLOW (\S+)/);
    if (m) ids.add(m[1]!);
    const r = l.match(/^RECOVERED (.*)$/);
    if (r) for (const id of JSON.parse(r[1]!) as string[]) ids.add(id);
  }
  return [...ids];
}

/** Kiosk product releases per flow, counted from RELEASED lines of every child given. */
export function releases(...children: ReadonlyArray<ChildAgent | undefined>): Map<string, number> {
  const n = new Map<string, number>();
  for (const c of children) for (const l of c?.lines ?? []) {
    const m = /^RELEASED (\S+)/.exec(l);
    if (m) n.set(m[1]!, (n.get(m[1]!) ?? 0) + 1);
  }
  return n;
}

/** The journal write boundary a killed child died at (its last BOUNDARY line; needs trace). */
export function killLabel(child: ChildAgent): string | undefined {
  const last = [...child.lines].reverse().find((l) => l.startsWith("BOUNDARY "));
  return last?.split(" ")[2];
}

/**
 * Between sendInvoice leaving and its answer being journaled, a crash loses the invoiceReference;
 * Glase offers no way to find it (getPaymentStatus without a reference tells the status only), so
 * recovery supersedes it with a fresh sendInvoice (§6.4, §6.15): the lost one ends CANCELED. The
 * flow whose invoice may be superseded, when `label` is in that window.
 */
export function lostSendFlow(label: string | undefined): string | undefined {
  return (/^after:([^:]+):sending-invoice$/.exec(label ?? "") ?? /^before:([^:]+):(?:awaiting-reservation|polling)$/.exec(label ?? ""))?.[1];
}

/**
 * The flows whose sendInvoice was out when `child` died: each one's last journal boundary of its
 * own is in the lost-send window. The boundary the child died at may be another flow's — a lost-send
 * watch's write, or the other lane's flow — while this one's answer was on its way (the campaign
 * counted only the dying boundary's own flow, and flagged those supersedes as anomalies).
 */
export function lostSendFlows(child: ChildAgent): string[] {
  const last = new Map<string, string>();
  for (const l of child.lines) {
    if (!l.startsWith("BOUNDARY ")) continue;
    const label = l.split(" ")[2] ?? "";
    const id = /^(?:before|after):([^:]+):/.exec(label)?.[1];
    if (id !== undefined && id !== "batch" && id !== "receipt") last.set(id, label);
  }
  return [...last].filter(([, label]) => lostSendFlow(label) !== undefined).map(([id]) => id);
}

/** Waits until every given flow finished (or parked) in this child. */
export async function settled(child: ChildAgent, ids: readonly string[], timeoutMs = 60_000): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  for (const id of ids) {
    const m = await child.line(new RegExp(`^(FINISHED|PARKED) ${id} (\\S+)`), timeoutMs);
    result.set(id, m[1] === "PARKED" ? `parked:${m[2]}` : m[2]!);
  }
  return result;
}

/** What must hold for one customer after any crash (issue 3 "Must hold"). Returns the anomalies. */
export function checkCustomer(opts: {
  readonly invoices: readonly InvoiceRecord[];
  readonly sale: SaleRecord | undefined;
  /** A lost sendInvoice may have been superseded by a fresh one (§6.4): allow one extra CANCELED. */
  readonly supersedeAllowed: boolean;
  /** Instead of supersedeAllowed: how many extra (superseded) invoices — one per kill in the lost-send window. */
  readonly extraInvoices?: number;
  /** A commit provably rejected (fault injected on it) may be followed by a second one after a status read. */
  readonly commitRetryAllowed?: boolean;
}): string[] {
  const anomalies: string[] = [];
  const { invoices, sale } = opts;
  const delivered = sale?.amountMinor ?? 0;
  const open = invoices.filter((i) => i.status === "ISSUED" || i.status === "RESERVED" || i.status === "PENDING_ISSUER_ACKNOWLEDGE");
  if (open.length > 0) anomalies.push(`open invoice left: ${open.map((i) => `${i.invoiceReference}:${i.status}`).join(",")}`);
  const paid = invoices.filter((i) => i.status === "PAID" && !i.reversed);
  if (paid.length > 1) anomalies.push(`${paid.length} PAID invoices for one customer`);
  if (delivered > 0) {
    const expected = Math.min(delivered, sale!.limitMinor);
    if (paid.length !== 1) anomalies.push(`delivered ${delivered} but ${paid.length} PAID (${invoices.map((i) => i.status).join(",")})`);
    else if (paid[0]!.paidMinor !== expected) anomalies.push(`paid ${paid[0]!.paidMinor} ≠ metered ${expected}`);
  } else if (paid.length > 0) anomalies.push(`nothing delivered but PAID ${paid[0]!.paidMinor}`);
  for (const i of invoices) {
    if (i.commitsAccepted > 1) anomalies.push(`invoice ${i.invoiceReference}: ${i.commitsAccepted} commits accepted`);
    if (i.commitCalls > (opts.commitRetryAllowed ? 2 : 1)) anomalies.push(`invoice ${i.invoiceReference}: ${i.commitCalls} commits reached Glase`);
  }
  const maxInvoices = 1 + (opts.extraInvoices ?? (opts.supersedeAllowed ? 1 : 0));
  if (invoices.length > maxInvoices) anomalies.push(`${invoices.length} invoices created for one customer`);
  return anomalies;
}

export async function waitForSale(controller: VirtualController, transactionId: string): Promise<SaleRecord | undefined> {
  return controller.saleRecords().find((r) => r.transactionId === transactionId);
}

export { until };
