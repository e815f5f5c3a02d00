// Terminal lifecycle against the real simulator over SOAP/HTTP, with credentials in a temp state dir.
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseConfig } from "../../agent/config/load.ts";
import { GlaseClient } from "../../agent/glase/client.ts";
import { generateTerminalPassword, TerminalManager } from "../../agent/daemon/terminals.ts";
import { createLogger } from "../../agent/log.ts";
import { isAgentError } from "../../agent/errors.ts";
import { eventually } from "./agent-process.ts";
import { startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";

let dir: string;
let sim: RunningGlaseSimulator;
let manager: TerminalManager;
let siteConfig: ReturnType<typeof parseConfig>["config"];
const shop = { resellerId: "demo_shop", userId: "9900", password: "demo-pass" };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-term-"));
  sim = await startGlaseSimulator({ port: 0, provision: { shops: [{ ...shop, currency: "SEK", allowRefunds: true, receiverAllowsRefunds: true, blocked: false }], terminals: [], tokens: [], settings: {}, issuers: [] } });
  const doc = parse(await readFile("config/example-site.yaml", "utf8"));
  doc.glase.endpoint = sim.endpoint;
  doc.glase.reseller = { id: shop.resellerId, password: shop.password };
  const { config } = parseConfig(doc);
  siteConfig = config;
  const glase = await GlaseClient.create({ endpoint: sim.endpoint, clientId: "test", timeoutMs: 10_000 });
  manager = new TerminalManager({ config, terminalsDir: join(dir, "terminals"), glase, reseller: async () => shop, logger: createLogger("test") });
});
afterAll(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

describe("terminal lifecycle", () => {
  it("generates strong alphanumeric passwords", () => {
    const a = generateTerminalPassword();
    expect(a).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(new Set(Array.from({ length: 50 }, () => generateTerminalPassword())).size).toBe(50);
  });

  it("registers with the shop credentials, stores 0600, assigns a Glase ID, unregisters", async () => {
    const res = await manager.register(1);
    expect(res.terminalId).toMatch(/^[0-9a-f]{32}$/);
    expect((await stat(res.credentialsFile)).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(await readFile(res.credentialsFile, "utf8"));
    expect(stored.password).toMatch(/^[A-Za-z0-9]{24}$/);
    const simTerminal = sim.sim.dump().terminals.find((t) => t.terminalId === res.terminalId);
    expect(simTerminal).toBeDefined();

    await expect(manager.register(1)).rejects.toSatisfy((e) => isAgentError(e, "CONFLICT"));
    await manager.assignGlaseId(1, "glasedemo000123");
    expect(JSON.parse(await readFile(res.credentialsFile, "utf8")).seqrId).toBe("glasedemo000123");
    expect(sim.sim.dump().terminals.find((t) => t.terminalId === res.terminalId)?.seqrId).toBe("glasedemo000123");

    await manager.unregister(1);
    await expect(stat(res.credentialsFile)).rejects.toThrow();
    await expect(manager.unregister(1)).rejects.toSatisfy((e) => isAgentError(e, "CONFLICT"));
  });

  it("refuses points that are not in the config or have their terminal in the config", async () => {
    await expect(manager.register(9)).rejects.toSatisfy((e) => isAgentError(e, "NOT_FOUND"));
    await expect(manager.register(3)).rejects.toSatisfy((e) => isAgentError(e, "CONFLICT"));
  });
});

describe("glase-agent register without a running agent", () => {
  it("calls Glase directly with the config's shop credentials and stores the terminal 0600", async () => {
    const { execFile } = await import("node:child_process");
    const { promisify } = await import("node:util");
    const { writeFile } = await import("node:fs/promises");
    const { stringify } = await import("yaml");
    const doc = parse(await readFile("config/example-site.yaml", "utf8"));
    doc.glase.endpoint = sim.endpoint;
    doc.glase.reseller = { id: shop.resellerId, password: shop.password };
    doc.stateDir = join(dir, "cli-state");
    delete doc.invoiceService;
    const configFile = join(dir, "site.yaml");
    await writeFile(configFile, stringify(doc));
    const run = (...args: string[]) => promisify(execFile)(process.execPath, ["bin/glase-agent.js", ...args, "--config", configFile, "--socket-dir", join(dir, "no-agent"), "--json"]);
    const reg = JSON.parse((await run("register", "--point", "2")).stdout);
    expect(reg.credentialsFile).toBe(join(dir, "cli-state", "terminals", "point-2.json"));
    expect((await stat(reg.credentialsFile)).mode & 0o777).toBe(0o600);
    expect(JSON.parse((await run("assign-id", "--point", "2", "ABC987")).stdout)).toEqual({ point: 2, glaseId: "ABC987" });
    expect(sim.sim.dump().terminals.find((t) => t.terminalId === reg.terminalId)?.seqrId).toBe("ABC987");
    await run("unregister", "--point", "2");
    await expect(stat(reg.credentialsFile)).rejects.toThrow();
  }, 120_000);
});

describe("crash-safe registration", () => {
  const terminalsDir = () => join(dir, "crash-terminals");
  const managerWith = (glase: GlaseClient, terminals = terminalsDir()) =>
    new TerminalManager({ config: siteConfig, terminalsDir: terminals, glase, reseller: async () => shop, logger: createLogger("test") });
  const files = async (d: string) => (await import("node:fs/promises")).readdir(d).catch(() => [] as string[]);

  it("a refusal (result code) or a request that never left removes the pending record: no terminal, nothing kept", async () => {
    const glase = await GlaseClient.create({ endpoint: sim.endpoint, clientId: "test", timeoutMs: 5_000 });
    sim.sim.injectFault({ operation: "registerTerminal", kind: "result", resultCode: 20 });
    await expect(managerWith(glase).register(1)).rejects.toSatisfy((e) => isAgentError(e, "GLASE_RESULT"));
    expect(await files(terminalsDir())).toEqual([]);
    const { freePort } = await import("../support/free-port.ts");
    const nowhere = new GlaseClient({ endpoint: `http://127.0.0.1:${await freePort()}/soap/merchant/cashregister-2`, clientId: "test", timeoutMs: 5_000 });
    await expect(managerWith(nowhere).register(1)).rejects.toSatisfy((e) => isAgentError(e, "GLASE_TRANSPORT") && (e as { indefinite?: boolean }).indefinite === false);
    expect(await files(terminalsDir())).toEqual([]);
  });

  it("an answer that never came (timeout) keeps the password; the next register keeps the attempt as an orphan", async () => {
    const slow = await GlaseClient.create({ endpoint: sim.endpoint, clientId: "test", timeoutMs: 300 });
    sim.sim.injectFault({ operation: "registerTerminal", kind: "latency", latencyMs: 1_000 });
    const m = managerWith(slow);
    await expect(m.register(1)).rejects.toSatisfy((e) => isAgentError(e, "GLASE_TRANSPORT") && /register --point 1/.test((e as Error).message));
    const reg = await m.registration(1);
    expect(reg.kind).toBe("unconfirmed");
    const pending = reg.kind === "unconfirmed" ? reg.pending : undefined;
    await eventually(() => sim.sim.dump().terminals.find((t) => t.externalTerminalId === pending!.externalTerminalId), 5_000, "the simulator to apply the slow registerTerminal");
    const fine = managerWith(await GlaseClient.create({ endpoint: sim.endpoint, clientId: "test", timeoutMs: 5_000 }));
    const res = await fine.register(1);
    const orphans = await files(join(terminalsDir(), "orphans"));
    expect(orphans).toHaveLength(1);
    const kept = JSON.parse(await readFile(join(terminalsDir(), "orphans", orphans[0]!), "utf8"));
    expect(kept.record).toEqual(pending);
    expect((await stat(join(terminalsDir(), "orphans", orphans[0]!))).mode & 0o777).toBe(0o600);
    expect((await fine.registration(1)).kind).toBe("registered");
    await fine.unregister(1);
    expect(res.terminalId).toMatch(/^[0-9a-f]{32}$/);
  });

  it("resolves what a crash between the two writes left, and sets a damaged credentials file aside before registering", async () => {
    const { writeFile, mkdir } = await import("node:fs/promises");
    const d = join(dir, "leftovers");
    await mkdir(d, { recursive: true, mode: 0o700 });
    const glase = await GlaseClient.create({ endpoint: sim.endpoint, clientId: "test", timeoutMs: 5_000 });
    const m = managerWith(glase, d);
    const pending = { attemptId: "abc123", externalTerminalId: "x (reg abc123)", name: "x", password: "SamePassword1234", startedAt: new Date().toISOString() };
    await writeFile(join(d, "point-1.pending.json"), JSON.stringify(pending), { mode: 0o600 });
    await writeFile(join(d, "point-1.json"), JSON.stringify({ terminalId: "t1", password: "SamePassword1234" }), { mode: 0o600 });
    expect((await m.registration(1)).kind).toBe("registered");
    expect((await files(d)).sort()).toEqual(["point-1.json"]);

    await writeFile(join(d, "point-1.json"), "{ torn", { mode: 0o600 });
    const broken = await m.registration(1);
    expect(broken).toMatchObject({ kind: "broken", source: "stored" });
    await m.register(1);
    const orphans = await files(join(d, "orphans"));
    expect(orphans).toHaveLength(1);
    expect(JSON.parse(await readFile(join(d, "orphans", orphans[0]!), "utf8")).record.content).toBe("{ torn");
    expect((await m.registration(1)).kind).toBe("registered");
    await m.unregister(1);
  });
});
