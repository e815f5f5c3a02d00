// The parent side of the MDB crash tests: the child agent (engine + kiosk host on journal.sqlite,
// the MDB driver on drivers.sqlite, mdb-child.ts) is SIGKILLed at a step of one vend, restarted on
// the same two files, and the virtual vending machine — which lives here and survives the kill,
// like a real one — ends its vend: a machine holding an approval dispenses (VEND,SUCCESS), one
// still waiting gives up (VEND 1, its own timeout). anomaliesOf says what Glase's ledger and the
// machine must show: at most one approval, delivered exactly when dispensed, refunded (exactly the
// amount, once) exactly when nothing was dispensed, never both.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import { VirtualVmc, type VmcVend } from "../../simulator/devices/virtual-vmc.ts";
import { TERMINALS } from "../flows/harness/station.ts";
import { ChildAgent, startRig, type Rig } from "../flows/harness/crash-rig.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
let rig: Rig;
let dir: string;
let script: string;

export type MdbKill = "approved" | "vend-sent" | "result" | "reported";

export function useMdbCrashRig(): void {
  beforeAll(async () => {
    rig = await startRig();
    dir = mkdtempSync(join(tmpdir(), "mdb-crash-"));
    const { build } = await import("esbuild");
    const outDir = join(ROOT, "node_modules", ".cache", "glase-mdb-crash-child");
    mkdirSync(join(outDir, "wsdl"), { recursive: true });
    copyFileSync(join(ROOT, "contracts", "glase", "wsdl", "cashregister-2.xsd"), join(outDir, "wsdl", "cashregister-2.xsd"));
    script = join(outDir, "mdb-child.mjs");
    await build({ entryPoints: [fileURLToPath(new URL("./mdb-child.ts", import.meta.url))], bundle: true, platform: "node", format: "esm", target: "node20", packages: "external", outfile: script, logLevel: "warning" });
  }, 60_000);
  afterAll(async () => {
    await rig?.close();
    rmSync(dir, { recursive: true, force: true });
  });
}

let amounts = 5000;
const TERMINAL = TERMINALS[2]!.terminalId;
const FINAL = /^SALE (\S+) (delivered|refunded|cancelled|attention)$/;

/** Resolves once the vend reaches one of these states at the machine, or the child died. */
function vendOrDeath(vmc: VirtualVmc, vend: VmcVend, child: ChildAgent, states: readonly string[]): Promise<void> {
  return new Promise((resolve) => {
    const done = () => (off(), resolve());
    const off = vmc.onEvent(() => states.includes(vend.state) && done());
    if (states.includes(vend.state)) done();
    void child.exited.then(done);
  });
}

/** READY is the link up; the machine takes a selection only once it has read the agent's C,1 (a moment later). */
function readerEnabled(vmc: VirtualVmc): Promise<void> {
  if (vmc.readerEnabled) return Promise.resolve();
  return new Promise((resolve) => {
    // The command event comes just before the machine acts on the line: look once it has.
    const off = vmc.onEvent((e) => {
      if (e.type === "command" && e.line === "C,1") (off(), queueMicrotask(resolve));
    });
  });
}

/** One vend with the child killed at `killAt` (none: a dry run), restarted once. */
export async function vendWithCrash(tag: string, killAt: MdbKill | undefined) {
  const amountMinor = (amounts += 2);
  const vmc = new VirtualVmc({ dispenseMs: 0 });
  const port = await vmc.listenTcp(0);
  const env = { JOURNAL_PATH: join(dir, `${tag}.db`), DRIVERS_PATH: join(dir, `${tag}-drivers.sqlite`), VMC_PORT: String(port) };
  const before = rig.sim.sim.dump();
  const first = new ChildAgent(rig, env.JOURNAL_PATH, { script, env: { ...env, ...(killAt ? { KILL_AT: killAt } : {}) } });
  let second: ChildAgent | undefined;
  try {
    await first.line(/^READY$/);
    await readerEnabled(vmc);
    const vend = vmc.select("12", amountMinor, "hang"); // the machine answers when this test says
    await vendOrDeath(vmc, vend, first, ["approved"]);
    // Killed right after C,VEND went out: the machine dispenses while the agent is down (its line is lost).
    if (killAt === "vend-sent") await first.exited;
    if (vend.state === "approved" && first.alive) vmc.finishVend("success");
    let last = first;
    if (killAt) {
      await first.exited;
      second = new ChildAgent(rig, env.JOURNAL_PATH, { script, env });
      last = second;
      await second.line(/^READY$/);
      const v = vmc.current;
      if (v?.state === "approved") vmc.finishVend("success");
      else if (v?.state === "waiting") vmc.customerCancel(); // the machine's own timeout: VEND 1
    }
    const done = await last.line(FINAL, 30_000);
    const dump = rig.sim.sim.dump();
    const paid = dump.invoices.slice(before.invoices.length).filter((i) => i.terminalId === TERMINAL && i.status === "PAID");
    const refunds = dump.refunds.slice(before.refunds.length).filter((r) => paid.some((p) => p.ersReference === r.paymentReference));
    const lines = [...first.lines, ...(second?.lines ?? [])];
    return { killAt, amountMinor, state: done[2]!, vend: vend.state, approvals: vmc.commands.filter((c) => c.startsWith("C,VEND,")).length, paid, refunds, killed: lines.some((l) => l.startsWith("KILLING ")) };
  } finally {
    await second?.kill();
    await first.kill();
    await vmc.close();
  }
}

export function anomaliesOf(r: Awaited<ReturnType<typeof vendWithCrash>>): string[] {
  const p: string[] = [];
  if (r.killAt && !r.killed) p.push(`never reached ${r.killAt}`);
  if (r.approvals > 1) p.push(`approved ${r.approvals} times`);
  if (r.paid.length !== 1) p.push(`${r.paid.length} PAID invoices`);
  const refunded = r.refunds.reduce((a, x) => a + x.amountMinor, 0);
  if (r.vend === "dispensed") {
    if (r.state !== "delivered") p.push(`dispensed but the sale ended ${r.state}`);
    if (refunded !== 0) p.push(`dispensed and refunded ${refunded}`);
  } else {
    if (r.state !== "refunded") p.push(`not dispensed (${r.vend}) but the sale ended ${r.state}`);
    if (r.refunds.length !== 1 || refunded !== r.amountMinor) p.push(`not dispensed: refunds ${JSON.stringify(r.refunds.map((x) => x.amountMinor))}, expected [${r.amountMinor}]`);
  }
  return p;
}
