// `npm start`'s station as shipped (package.json's start script, config/simulated-station.yaml) in
// a fresh working directory: customers arrive, pay, receipts land in .glase/receipts, and every
// line of README's "Technician commands" block — `npx glase-agent ctl …` exactly as written, run
// by a shell from the same directory — succeeds; SIGINT (Ctrl-C) while a car charges stops it
// cleanly within seconds, the session settled at what it metered.
//
// The directory is inside the checkout (under the ignored .glase/) so that `npx glase-agent`
// resolves this package's own bin as it does for a user of the checkout; npm is kept offline so
// a resolution failure can never turn into a download. bin/ and config/ are linked in, so the
// start script's relative paths mean what they mean in the checkout.
import { execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { openJournal } from "../../agent/journal/journal.ts";
import { eventually } from "./agent-process.ts";

const exec = promisify(execFile);
const ROOT = resolve(".");
const BIN = resolve("bin/glase-agent.js");
let dir: string | undefined;

/** README lines that do not work yet, each with its reason (none today: keep it that way). */
const PENDING = new Map<string, string>();

/** The shell lines of README's "Technician commands" code block. */
export async function readmeTechnicianLines(): Promise<string[]> {
  const text = await readFile(join(ROOT, "README.md"), "utf8");
  const section = text.slice(text.indexOf("## Technician commands"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error("README.md: no ```sh block under ## Technician commands");
  return block.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("#"));
}

const commandOf = (line: string) => line.replace(/\s+#.*$/, "").trim();

/** Every finished preliminary flow that delivered was committed at what it delivered; unfinished ones are recovered at the next start. */
export async function expectDeliveriesSettled(journalPath: string): Promise<void> {
  const journal = await openJournal({ path: journalPath });
  try {
    const flows = await journal.flows({ kind: "preliminary", limit: 10_000 });
    expect(flows.length).toBeGreaterThan(0);
    for (const f of flows) {
      const s = f.state as { flowId: string; outcome?: string; delivered?: { amountMinor: number }; commitMinor?: number };
      if (!f.finished || (s.delivered?.amountMinor ?? 0) === 0) continue;
      expect(s.outcome, `${s.flowId} delivered ${s.delivered?.amountMinor}`).toBe("paid");
      expect(s.commitMinor, s.flowId).toBe(s.delivered?.amountMinor);
    }
  } finally {
    await journal.close();
  }
}

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the simulated station (npm start)", () => {
  it("serves customers, writes receipts, runs every README technician command as written, stops on Ctrl-C", async () => {
    await mkdir(join(ROOT, ".glase"), { recursive: true });
    dir = await mkdtemp(join(ROOT, ".glase", "npm-start-"));
    await symlink(join(ROOT, "bin"), join(dir, "bin"));
    // The shipped config, but its metrics on a port of its own (0: any free one): other test
    // runs on this machine start the shipped station too, and a port in use fails a start.
    await mkdir(join(dir, "config"));
    const shipped = await readFile(join(ROOT, "config", "simulated-station.yaml"), "utf8");
    await writeFile(join(dir, "config", "simulated-station.yaml"), shipped.replace(/^(metrics:\n(?:  .*\n)*?  port: )\d+$/m, "$10"));
    expect(await readFile(join(dir, "config", "simulated-station.yaml"), "utf8")).toMatch(/^metrics:\n(?:  .*\n)*?  port: 0$/m);
    const start = (JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start;
    const [node, ...args] = start.split(/\s+/);
    expect(node).toBe("node");
    const child = spawn(process.execPath, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NOTIFY_SOCKET: "" } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    const shellEnv = { ...process.env, npm_config_offline: "true", npm_config_update_notifier: "false", npm_config_fund: "false" };
    const sh = (line: string) =>
      exec("sh", ["-c", line], { cwd: dir, env: shellEnv, timeout: 120_000 }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" }),
      );
    try {
      const receipts = join(dir, ".glase", "receipts");
      const files = await eventually(async () => {
        // A receipt is written to a hidden temporary name, then renamed: only finished ones count.
        const list = (await readdir(receipts).catch(() => [] as string[])).filter((f) => !f.startsWith("."));
        return list.length >= 1 ? list : undefined;
      }, 150_000, `a receipt in ${receipts}\n${out.slice(-2000)}`);
      const text = await readFile(join(receipts, files[0]!), "utf8");
      expect(text).toContain("Glase payment");
      expect(text).toContain("Glase Demo Station");

      // The export's sales up to a moment equal the receipts kept up to that moment.
      // The refund command below needs a receipt of at least 10.00: on a loaded machine the first
      // receipts can all be smaller (short EV sessions), so wait for one.
      type Kept = Array<{ at: number; ersReference: string; content: { amountMinor: number } }>;
      const kept = await eventually(async () => {
        const k = JSON.parse((await exec(process.execPath, [BIN, "ctl", "receipts", "--json", "-n", "200"], { cwd: dir })).stdout) as Kept;
        return k.some((r) => r.content.amountMinor >= 1000) ? k : undefined;
      }, 150_000, `a receipt of at least 10.00\n${out.slice(-2000)}`);
      const until = Math.max(...kept.map((r) => r.at)) + 1;
      // A sale is journaled before its receipt is kept, and a kiosk/vend sale that delivered nothing
      // is refunded a moment after: the export up to `until` can name a sale whose receipt or refund
      // is still on its way. So compare by ersReference, reading receipts and export again until
      // they agree (or the wait runs out with what disagrees).
      let lastProblem = "";
      await eventually(async () => {
        const k = JSON.parse((await exec(process.execPath, [BIN, "ctl", "receipts", "--json", "-n", "200"], { cwd: dir })).stdout) as Kept;
        const csv = (await exec(process.execPath, [BIN, "ctl", "export", "--since", "1d", "--until", new Date(until).toISOString()], { cwd: dir })).stdout.trim().split("\r\n");
        expect(csv[0]).toBe("type,ersReference,time,point,terminalId,grade,quantity,unit,unitPrice,amount,currency,vatRate,vat,refundOf,flowId,part");
        const cents = (s: string) => Math.round(Number(s) * 100);
        const receiptOf = new Map(k.map((r) => [r.ersReference, r.content.amountMinor]));
        // A full page (200) holds the newest receipts only: older sales are not compared.
        const oldest = k.length >= 200 ? Math.min(...k.map((r) => r.at)) : 0;
        const saleLines = csv.slice(1).filter((l) => l.startsWith("sale,") && Date.parse(l.split(",")[2]!) >= oldest);
        const saleErs = new Set(saleLines.map((l) => l.split(",")[1]!));
        // A sale's refund can come after `until`: refunds are read from the whole export.
        const all = (await exec(process.execPath, [BIN, "ctl", "export", "--since", "1d"], { cwd: dir })).stdout.trim().split("\r\n");
        const refundOf = new Set(all.slice(1).filter((l) => l.startsWith("refund,")).map((l) => l.split(",")[13]));
        const problems: string[] = [];
        // Every receipt kept before `until` is a sale of the export.
        for (const r of k.filter((r) => r.at < until)) if (!saleErs.has(r.ersReference)) problems.push(`receipt ${r.ersReference} is no sale of the export`);
        // Every sale of the export has its receipt, or is refunded.
        for (const e of saleErs) if (!receiptOf.has(e) && !refundOf.has(e)) problems.push(`sale ${e} has neither a receipt nor a refund`);
        // A receipted sale's lines add up to its receipt.
        for (const e of saleErs) {
          if (!receiptOf.has(e)) continue;
          const sum = saleLines.filter((l) => l.split(",")[1] === e).reduce((a, l) => a + cents(l.split(",")[9]!), 0);
          if (sum !== receiptOf.get(e)) problems.push(`sale ${e}: export ${sum}, receipt ${receiptOf.get(e)}`);
        }
        lastProblem = problems.join("; ");
        return problems.length === 0 ? true : undefined;
      }, 60_000, `the export up to ${new Date(until).toISOString()} to agree with the receipts: ${lastProblem}`).catch((e: unknown) => {
        throw new Error(`${(e as Error).message} — last: ${lastProblem}`);
      });

      const ers = kept.find((r) => r.content.amountMinor >= 1000)!.ersReference;
      const lines = await readmeTechnicianLines();
      expect(lines.length).toBeGreaterThan(10);
      const ran: string[] = [];
      let stopped = false;
      const check = (line: string, r: { code: number; stdout: string; stderr: string }) => {
        expect(r.code, `${line}\n${r.stderr}`).toBe(0);
        expect(r.stdout.trim().length, line).toBeGreaterThan(0);
        if (stopped && commandOf(line) === "npx glase-agent ctl points") {
          expect(r.stdout).toMatch(/^2\s+fuel\s+stopped\s.*stopped by /m);
          stopped = false;
        }
        if (/ctl resume-point --point 2/.test(line)) expect(r.stdout).toContain("point 2: back in service");
        if (/--version/.test(line)) expect(r.stdout.trim()).toMatch(/^glase-agent \d+\.\d+\.\d+/);
        ran.push(line);
      };
      // Lines that only look run a few at a time (each npx costs a second); a line that changes
      // something runs alone, in README order, so what follows it sees its effect.
      const changes = /ctl (reprint|refund|stop-point|resume-point|backup|close-period)\b/;
      let batch: string[] = [];
      const flush = async () => {
        for (const [line, r] of await Promise.all(batch.map(async (l) => [l, await sh(l)] as const))) check(line, r);
        batch = [];
      };
      for (const raw of lines) {
        const line = raw.replaceAll("<ersReference>", ers);
        if (PENDING.has(commandOf(raw))) continue;
        if (/ctl top\b/.test(line)) {
          await flush();
          // Not a terminal here: plain periodic output, no escape codes; q on stdin quits.
          const top = spawn("sh", ["-c", line], { cwd: dir, env: shellEnv, stdio: ["pipe", "pipe", "pipe"] });
          let shown = "";
          top.stdout.on("data", (d) => (shown += d));
          const code = new Promise<number | null>((r) => top.once("exit", (c) => r(c)));
          await eventually(() => shown.includes("POINT"), 60_000, `ctl top output\n${shown}`);
          top.stdin.write("q");
          expect(await code, line).toBe(0);
          expect(shown).toMatch(/^glase-agent top — Glase Demo Station — /m);
          expect(shown).not.toContain("\x1b");
          ran.push(line);
        } else if (changes.test(line)) {
          await flush();
          check(line, await sh(line));
          if (/ctl stop-point --point 2/.test(line)) stopped = true;
          if (/ctl backup glase-backup\.tar/.test(line)) expect(((await stat(join(dir, "glase-backup.tar"))).mode & 0o777).toString(8)).toBe("600");
        } else {
          batch.push(line);
          if (batch.length === 3) await flush();
        }
      }
      await flush();
      expect(ran.length).toBe(lines.length - PENDING.size);
      // Ctrl-C while a car charges: the drain stops the session and settles what it metered
      // (flows.drainEndsSessions in the shipped config) instead of waiting for the car.
      await eventually(async () => /^[56]\s+ev\s+delivering\b/m.test((await sh("npx glase-agent ctl points")).stdout), 120_000, "a charger delivering");
    } finally {
      child.kill("SIGINT");
    }
    const t0 = Date.now();
    expect(await exited).toBe(0);
    expect(Date.now() - t0, out.slice(-3000)).toBeLessThan(20_000);
    expect(out).toContain("daemon stopped signal=SIGINT");
    expect(out).toMatch(/drain_ends_session flowId=P[56]-/);
    await expectDeliveriesSettled(join(dir, ".glase", "state", "journal.sqlite"));
  }, 300_000);
});
