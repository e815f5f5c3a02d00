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
import { startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";

let dir: string;
let sim: RunningGlaseSimulator;
let manager: TerminalManager;
const shop = { resellerId: "demo_shop", userId: "9900", password: "demo-pass" };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-term-"));
  sim = await startGlaseSimulator({ port: 0, provision: { shops: [{ ...shop, currency: "SEK", allowRefunds: true, receiverAllowsRefunds: true, blocked: false }], terminals: [], tokens: [], settings: {}, issuers: [] } });
  const doc = parse(await readFile("config/example-site.yaml", "utf8"));
  doc.glase.endpoint = sim.endpoint;
  doc.glase.reseller = { id: shop.resellerId, password: shop.password };
  const { config } = parseConfig(doc);
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
