// `glase-agent doctor`: one check per thing an installation needs, each saying what it found and,
// when something is wrong, what to do. With the agent running, the devices are the agent's (it
// holds the serial port; a second opener would only disturb it), so their checks read its device
// health and the test print goes through admin.sock; with the agent stopped, doctor opens the
// controller and the printer itself.
import { lstat, readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { readFile } from "node:fs/promises";
import { isAgentError } from "../../base/errors.ts";
import { loadConfig } from "../config/load.ts";
import { resolveCommandPaths, type AgentPaths } from "../config/paths.ts";
import type { AgentConfig } from "../config/schema.ts";
import { configSecretFiles, readSecretFile } from "../config/secrets.ts";
import type { ControlClient } from "../daemon/sockets/client.ts";
import type { StationStatus } from "../daemon/sockets/control.ts";
import { JournalReader } from "../journal/reader.ts";
import { MIGRATIONS } from "../journal/schema.ts";
import { clockSanity, ntpStatus, skewFinding, type ClockProbes, type Verdict } from "./clock.ts";

export type CheckStatus = Verdict | "skip";

export interface CheckResult {
  readonly check: string;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly fix?: string;
}

export interface DoctorOptions {
  readonly configFile: string;
  readonly printTest: boolean;
  /** The running agent's status socket (undefined: not running). */
  readonly agent?: ControlClient;
  /** Its admin socket, for --print-test (root or the agent's user). */
  readonly adminAgent?: () => Promise<ControlClient>;
  readonly probes?: ClockProbes;
  readonly timeoutMs?: number;
}

const mode = (m: number) => (m & 0o777).toString(8).padStart(4, "0");
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms).unref())]);
}

async function secretChecks(config: AgentConfig, configFile: string, paths: AgentPaths): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const s of configSecretFiles(config)) {
    try {
      await readSecretFile(resolve(s.path), s.what, { followSymlinks: true });
      out.push({ check: `secret ${s.what}`, status: "ok", detail: `${s.path}: mode 0600` });
    } catch (e) {
      out.push({ check: `secret ${s.what}`, status: "fail", detail: message(e), fix: `owner glase-agent, chmod 600 ${s.path}` });
    }
  }
  const inline = [config.glase.reseller?.password, ...config.points.map((p) => p.terminal?.password)].some((x) => x !== undefined);
  const st = await stat(configFile).catch(() => undefined);
  if (inline && st && (st.mode & 0o007) !== 0) {
    out.push({
      check: "config file",
      status: config.glase.endpoint === "embedded-simulator" ? "warn" : "fail",
      detail: `${configFile} holds inline passwords and is mode ${mode(st.mode)} (others can read it)`,
      fix: `move them into passwordFile (0600) or chmod 640 ${configFile} (root:glase-agent)`,
    });
  }
  const names = await readdir(paths.terminalsDir).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith(".json") && !n.startsWith("."))) {
    const path = join(paths.terminalsDir, name);
    const fst = await stat(path).catch(() => undefined);
    if (!fst) continue;
    out.push(
      (fst.mode & 0o077) === 0
        ? { check: `credentials ${name}`, status: "ok", detail: `${path}: mode ${mode(fst.mode)}` }
        : { check: `credentials ${name}`, status: "fail", detail: `${path}: mode ${mode(fst.mode)} lets group/others read a terminal password`, fix: `chmod 600 ${path}` },
    );
  }
  return out;
}

async function stateChecks(paths: AgentPaths, running: boolean): Promise<{ results: CheckResult[]; lastJournalAt?: number }> {
  const results: CheckResult[] = [];
  const st = await lstat(paths.stateDir).catch(() => undefined);
  if (!st) {
    results.push({ check: "state directory", status: running ? "fail" : "warn", detail: `${paths.stateDir} does not exist yet`, fix: "start the service once (systemctl start glase-agent): systemd creates it for the glase-agent user" });
    return { results };
  }
  results.push(
    (st.mode & 0o077) === 0
      ? { check: "state directory", status: "ok", detail: `${paths.stateDir}: mode ${mode(st.mode)}` }
      : { check: "state directory", status: "warn", detail: `${paths.stateDir}: mode ${mode(st.mode)} (the journal and credentials should be the agent's alone)`, fix: `chmod 700 ${paths.stateDir} (StateDirectoryMode=0700)` },
  );
  let lastJournalAt: number | undefined;
  if (await lstat(paths.journal).catch(() => undefined)) {
    try {
      const reader = await JournalReader.open(paths.journal);
      try {
        const { userVersion } = await reader.check();
        lastJournalAt = await reader.lastStepAt();
        results.push(
          userVersion > MIGRATIONS.length
            ? { check: "journal", status: "fail", detail: `${paths.journal}: schema ${userVersion} is newer than this agent (${MIGRATIONS.length})`, fix: "install the agent version that wrote it (docs/install.md, Upgrade and rollback)" }
            : { check: "journal", status: "ok", detail: `${paths.journal}: schema ${userVersion}, sound` },
        );
      } finally {
        await reader.close();
      }
    } catch (e) {
      results.push({ check: "journal", status: "fail", detail: message(e), fix: "restore the last backup (glase-agent restore FILE) — docs/install.md, Backup and restore" });
    }
  } else results.push({ check: "journal", status: running ? "fail" : "skip", detail: `${paths.journal}: not created yet (the first start creates it)` });
  return { results, ...(lastJournalAt !== undefined ? { lastJournalAt } : {}) };
}

async function glaseCheck(config: AgentConfig, timeoutMs: number): Promise<CheckResult[]> {
  const endpoint = config.glase.endpoint;
  if (endpoint === "embedded-simulator") return [{ check: "glase", status: "skip", detail: "embedded simulator: nothing to reach" }];
  const out: CheckResult[] = [];
  const { GlaseClient } = await import("../glase/client.ts");
  const client = new GlaseClient({ endpoint, clientId: config.glase.clientId, timeoutMs });
  const t0 = Date.now();
  try {
    await withTimeout(client.benchmarkingNop({ timeoutMs }), timeoutMs + 1_000, "benchmarkingNop");
    out.push({ check: "glase", status: "ok", detail: `${new URL(endpoint).host}: benchmarkingNop answered in ${Date.now() - t0} ms` });
  } catch (e) {
    const host = new URL(endpoint).host;
    out.push({ check: "glase", status: "fail", detail: `${endpoint}: benchmarkingNop failed: ${message(e)}`, fix: `allow HTTPS out to ${host} (DNS, firewall, proxy: docs/install.md, Network); check glase.endpoint` });
  } finally {
    client.close();
  }
  // The clock against Glase's: any HTTP answer carries a Date header.
  const before = Date.now();
  const res = await fetch(endpoint, { method: "HEAD", redirect: "manual", signal: AbortSignal.timeout(timeoutMs) }).catch(() => undefined);
  const skew = res ? skewFinding(res.headers.get("date"), before, Date.now()) : undefined;
  if (skew) out.push({ check: "clock vs glase", ...skew });
  return out;
}

function deviceFromAgent(status: StationStatus, device: "dispenser" | "printer" | "scanner", label: string): CheckResult {
  const d = status.devices.find((x) => x.device === device);
  if (!d || d.state === "absent") return { check: label, status: "skip", detail: "not configured" };
  if (d.state === "ok") return { check: label, status: "ok", detail: `${d.kind}: ok (the running agent's view)` };
  return { check: label, status: "fail", detail: `${d.kind}: ${d.state}${d.detail ? ` (${d.detail})` : ""}`, fix: device === "printer" ? "paper, cover, power and cable/network of the printer" : "power, cable/network and settings (devices in the config) of the device; the agent reconnects by itself" };
}

/** The line boards with a real link answer HELLO; other drivers are checked by the running agent's view. */
async function controllerCheck(config: AgentConfig, timeoutMs: number): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of config.devices.controllers) {
    const check = config.devices.controllers.length === 1 ? "controller" : `controller ${c.id}`;
    const link = c.link as { kind: "serial"; path: string; baudRate?: number; dataBits?: 7 | 8; parity?: "none" | "even" | "odd"; stopBits?: 1 | 2 } | { kind: "tcp"; host: string; port: number } | undefined;
    if (c.virtual !== undefined) {
      out.push({ check, status: "skip", detail: "virtual controller (simulated station)" });
      continue;
    }
    if (c.driver !== "line" || !link) {
      out.push({ check, status: "skip", detail: `${c.driver}: see the running agent's device view (glase-agent ctl status)` });
      continue;
    }
    const { openDispenserController } = await import("../../drivers/dispenser/open.ts");
    const where = link.kind === "serial" ? `${link.path} at ${link.baudRate ?? 115200} baud` : `${link.host}:${link.port}`;
    let driver: Awaited<ReturnType<typeof openDispenserController>> | undefined;
    try {
      driver =
        link.kind === "serial"
          ? await openDispenserController({ kind: "serial", path: link.path, baudRate: link.baudRate ?? 115200, dataBits: link.dataBits ?? 8, parity: link.parity ?? "none", stopBits: link.stopBits ?? 1, name: "doctor", openTimeoutMs: timeoutMs })
          : await openDispenserController({ kind: "tcp", host: link.host, port: link.port, name: "doctor", openTimeoutMs: timeoutMs, connectTimeoutMs: timeoutMs });
      const info = await withTimeout(driver.hello(), timeoutMs, "HELLO");
      out.push({ check, status: "ok", detail: `${where}: protocol ${info.protocolVersion}, firmware ${info.firmware}, ${info.points} points` });
    } catch (e) {
      out.push({ check, status: "fail", detail: `${where}: ${message(e)}`, fix: `power and cable of the controller board, devices.controllers (${c.id}: link path/host, baud rate), the udev rule for its stable name; is another program using the port?` });
    } finally {
      await driver?.close().catch(() => undefined);
    }
  }
  return out;
}

async function printerCheck(config: AgentConfig, printTest: boolean, timeoutMs: number): Promise<CheckResult[]> {
  const p = config.devices.printer;
  if (!p) return [{ check: "printer", status: "skip", detail: "not configured" }];
  if (p.kind === "virtual") return [{ check: "printer", status: "skip", detail: "virtual printer: checked by the running agent (npm start)" }];
  const { createReceiptPrinter } = await import("../../drivers/printer/printer-factory.ts");
  const printer = createReceiptPrinter({ ...p, statusTimeoutMs: timeoutMs, printTimeoutMs: timeoutMs } as Parameters<typeof createReceiptPrinter>[0]);
  try {
    const health = await printer.status().catch(() => "offline" as const);
    const out: CheckResult[] = [
      health === "ok"
        ? { check: "printer", status: "ok", detail: `${p.kind}: ok` }
        : health === "unknown"
          ? { check: "printer", status: "warn", detail: `${p.kind}: this connection cannot read the printer's status`, fix: "use --print-test to see that it prints" }
          : { check: "printer", status: "fail", detail: `${p.kind}: ${health}`, fix: "paper, cover, power and cable/network of the printer (devices.printer)" },
    ];
    if (printTest) {
      try {
        await printer.print({ stationName: config.station.name, terminalId: "-", amountMinor: 0, currency: config.station.currency, ersReference: "TEST PRINT", description: "Test print - not a receipt", timestamp: new Date().toISOString(), extraLines: ["glase-agent doctor", "If you can read this, the printer works."] });
        out.push({ check: "test print", status: "ok", detail: "sent: a page saying TEST PRINT should come out" });
      } catch (e) {
        out.push({ check: "test print", status: "fail", detail: message(e), fix: "paper, cover, power and cable/network of the printer" });
      }
    }
    return out;
  } finally {
    await printer.close().catch(() => undefined);
  }
}

async function groupCheck(config: AgentConfig): Promise<CheckResult | undefined> {
  const group = config.sockets.statusGroup;
  if (!group || /^\d+$/.test(group)) return undefined;
  const known = (await readFile("/etc/group", "utf8").catch(() => "")).split("\n").some((l) => l.split(":")[0] === group);
  return known
    ? { check: "technician group", status: "ok", detail: `group ${group} exists (status.sock is given to it)` }
    : { check: "technician group", status: "fail", detail: `sockets.statusGroup: no group named '${group}'`, fix: `groupadd --system ${group} && usermod -aG ${group} glase-agent (docs/install.md §1)` };
}

export async function runDoctor(o: DoctorOptions): Promise<CheckResult[]> {
  const timeoutMs = o.timeoutMs ?? 5_000;
  const results: CheckResult[] = [];
  let config: AgentConfig;
  try {
    config = (await loadConfig(o.configFile)).config;
    results.push({ check: "config", status: "ok", detail: `${o.configFile}: valid, ${config.points.length} points, station "${config.station.name}"` });
  } catch (e) {
    const problems = isAgentError(e) && Array.isArray(e.context.problems) ? (e.context.problems as string[]).join("; ") : message(e);
    results.push({ check: "config", status: "fail", detail: problems, fix: `fix ${o.configFile} (glase-agent config check lists every problem)` });
    return results;
  }
  const paths = resolveCommandPaths(config, o.configFile);
  results.push(...(await secretChecks(config, resolve(o.configFile), paths)));
  const group = await groupCheck(config);
  if (group) results.push(group);
  let status: StationStatus | undefined;
  if (o.agent) {
    try {
      status = await o.agent.request<StationStatus>("status");
      results.push({ check: "agent", status: "ok", detail: `running: pid ${status.pid}, ${status.phase}, version ${status.version}, ${status.alarms} alarms` });
    } catch (e) {
      results.push({ check: "agent", status: "fail", detail: `its socket answers but status failed: ${message(e)}` });
    }
  } else results.push({ check: "agent", status: "warn", detail: "not running (or its status.sock is not reachable from here)", fix: "systemctl start glase-agent; systemctl status glase-agent says why it stopped" });
  const state = await stateChecks(paths, status !== undefined);
  results.push(...state.results);
  results.push({ check: "clock", ...clockSanity(Date.now(), state.lastJournalAt) });
  results.push({ check: "time sync", ...(await ntpStatus(o.probes)) });
  results.push(...(await glaseCheck(config, timeoutMs)));
  if (status) {
    results.push(deviceFromAgent(status, "dispenser", "controller"));
    results.push(deviceFromAgent(status, "printer", "printer"));
    results.push(deviceFromAgent(status, "scanner", "scanner"));
    if (o.printTest) {
      try {
        const admin = await o.adminAgent!();
        try {
          await admin.request("print-test");
        } finally {
          admin.close();
        }
        results.push({ check: "test print", status: "ok", detail: "sent through the agent: a page saying TEST PRINT should come out" });
      } catch (e) {
        const remote = (e as { remoteCode?: string }).remoteCode;
        results.push({ check: "test print", status: "fail", detail: `${remote ? `${remote}: ` : ""}${message(e)}`, fix: isAgentError(e, "PERMISSION_DENIED") ? "run doctor --print-test as root or the agent's user (sudo -u glase-agent …)" : "paper, cover, power and cable/network of the printer" });
      }
    }
  } else {
    results.push(...(await controllerCheck(config, timeoutMs)));
    results.push(...(await printerCheck(config, o.printTest, timeoutMs)));
  }
  return results;
}
