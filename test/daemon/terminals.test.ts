// Terminal lifecycle against the real simulator over SOAP/HTTP, with credentials in a temp state dir.
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
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

describe("registration safety", () => {
  const fresh = async (name: string, timeoutMs = 5_000) => {
    const terminals = join(dir, name);
    const glase = await GlaseClient.create({ endpoint: sim.endpoint, clientId: "test", timeoutMs });
    return { terminals, m: new TerminalManager({ config: siteConfig, terminalsDir: terminals, glase, reseller: async () => shop, logger: createLogger("test") }) };
  };

  it("two registrations of one point at once: one registers, the other is refused; no terminal without its password", async () => {
    const { terminals, m } = await fresh("concurrent");
    const before = sim.sim.dump().terminals.length;
    const results = await Promise.allSettled([m.register(1, { externalTerminalId: "concurrent-a" }), m.register(1, { externalTerminalId: "concurrent-b" })]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(isAgentError(refused.reason, "CONFLICT"), String(refused.reason)).toBe(true);
    const created = sim.sim.dump().terminals.slice(before).filter((t) => t.registered);
    expect(created).toHaveLength(1);
    const stored = JSON.parse(await readFile(join(terminals, "point-1.json"), "utf8"));
    expect(stored.terminalId).toBe(created[0]!.terminalId);
    await m.unregister(1);
  });

  it("a planted symbolic link is never followed: register refuses it and copies nothing of its target", async () => {
    const { terminals, m } = await fresh("links");
    await mkdir(terminals, { recursive: true, mode: 0o700 });
    const secret = join(dir, "root-only-secret");
    await writeFile(secret, "root:$6$not-for-the-service-user", { mode: 0o600 });
    for (const planted of ["point-1.pending.json", "point-1.json"]) {
      await symlink(secret, join(terminals, planted));
      const reg = await m.registration(1);
      expect(reg).toMatchObject({ kind: "broken" });
      await expect(m.register(1)).rejects.toSatisfy((e) => isAgentError(e, "CONFLICT") && /symbolic link/.test((e as Error).message));
      for (const f of await readdir(join(terminals, "orphans")).catch(() => [] as string[])) {
        expect(await readFile(join(terminals, "orphans", f), "utf8")).not.toContain("not-for-the-service-user");
      }
      expect((await lstat(join(terminals, planted))).isSymbolicLink()).toBe(true);
      await rm(join(terminals, planted));
    }
    expect(await readFile(secret, "utf8")).toContain("not-for-the-service-user");
  });

  it("a missing shop password refuses the registration before anything is written or sent", async () => {
    const terminals = join(dir, "no-shop");
    const glase = await GlaseClient.create({ endpoint: sim.endpoint, clientId: "test", timeoutMs: 5_000 });
    const { AgentError } = await import("../../agent/errors.ts");
    const m = new TerminalManager({
      config: siteConfig,
      terminalsDir: terminals,
      glase,
      reseller: async () => {
        throw new AgentError("CONFIG_INVALID", "reseller password file /etc/glase-agent/shop.pass: cannot read (ENOENT)");
      },
      logger: createLogger("test"),
    });
    await expect(m.register(1)).rejects.toSatisfy((e) => isAgentError(e, "CONFIG_INVALID") && /shop\.pass/.test((e as Error).message));
    expect((await m.registration(1)).kind).toBe("unregistered");
    expect(await readdir(terminals).catch(() => [] as string[])).toEqual([]);
  });

  it("an unregister whose answer was lost: the point is out of service, register says what to do, unregister again completes (29 = done)", async () => {
    const { terminals, m } = await fresh("lost-unregister");
    const res = await m.register(1);
    sim.sim.injectFault({ operation: "unregisterTerminal", kind: "drop", afterProcessing: true });
    await expect(m.unregister(1)).rejects.toSatisfy((e) => isAgentError(e, "GLASE_TRANSPORT") && /unregister --point 1` again/.test((e as Error).message));
    expect(sim.sim.dump().terminals.find((t) => t.terminalId === res.terminalId)?.registered).toBe(false);
    expect(await m.registration(1)).toMatchObject({ kind: "unregistering", marker: { terminalId: res.terminalId } });
    await expect(m.register(1)).rejects.toSatisfy((e) => isAgentError(e, "CONFLICT") && /unregister --point 1` again/.test((e as Error).message));
    await m.unregister(1); // Glase answers 29: the first one took effect
    expect((await m.registration(1)).kind).toBe("unregistered");
    const orphans = await readdir(join(terminals, "orphans"));
    expect(orphans).toHaveLength(1);
    expect(JSON.parse(await readFile(join(terminals, "orphans", orphans[0]!), "utf8"))).toMatchObject({ record: { terminalId: res.terminalId }, reason: expect.stringContaining("29") });
    expect((await readdir(terminals)).sort()).toEqual(["orphans"]);
    const again = await m.register(1);
    expect(again.terminalId).not.toBe(res.terminalId);
    await m.unregister(1);
  });

  it("an unregister Glase refuses changes nothing and leaves no marker", async () => {
    const { terminals, m } = await fresh("refused-unregister");
    await m.register(1);
    sim.sim.injectFault({ operation: "unregisterTerminal", kind: "result", resultCode: 90 });
    await expect(m.unregister(1)).rejects.toSatisfy((e) => isAgentError(e, "GLASE_RESULT"));
    expect((await m.registration(1)).kind).toBe("registered");
    expect((await readdir(terminals)).sort()).toEqual(["point-1.json"]);
    await m.unregister(1);
  });

  it("orphans kept in the same millisecond under the same tag never replace one another", async () => {
    const { keepOrphan } = await import("../../agent/config/pending-registration.ts");
    const d = join(dir, "orphan-names");
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(new Date("2026-12-01T10:00:00.000Z"));
      await keepOrphan(d, 1, "damaged", { content: "first" }, "test");
      await keepOrphan(d, 1, "damaged", { content: "second" }, "test");
    } finally {
      vi.useRealTimers();
    }
    const kept = await readdir(join(d, "orphans"));
    expect(kept).toHaveLength(2);
    const contents = await Promise.all(kept.map(async (f) => JSON.parse(await readFile(join(d, "orphans", f), "utf8")).record.content));
    expect(contents.sort()).toEqual(["first", "second"]);
  });

  it("taking a pending record away checks it is the one meant: another attempt's record is put back", async () => {
    const { takePendingRegistration, createPendingRegistration, readPendingRegistration } = await import("../../agent/config/pending-registration.ts");
    const d = join(dir, "take");
    const mine = { attemptId: "aaaaaa", externalTerminalId: "x (reg aaaaaa)", name: "x", password: "PasswordOfA12345", startedAt: new Date().toISOString() };
    const theirs = { ...mine, attemptId: "bbbbbb", externalTerminalId: "x (reg bbbbbb)", password: "PasswordOfB12345" };
    await createPendingRegistration(d, 1, theirs);
    expect(await takePendingRegistration(d, 1, mine)).toBe(false);
    expect(await readPendingRegistration(d, 1)).toEqual(theirs);
    expect(await takePendingRegistration(d, 1, theirs)).toBe(true);
    expect(await readPendingRegistration(d, 1)).toBeUndefined();
    // A crash between "taken aside" and "removed" leaves the record under its claim name: the
    // next start keeps it in orphans/ (it may be the only copy of a password), a live run's stays.
    await writeFile(join(d, ".point-1-pending-aaaaaa.taken-999999999-abcd"), JSON.stringify(mine), { mode: 0o600 });
    await writeFile(join(d, `.point-1-pending-bbbbbb.taken-${process.pid}-abcd`), JSON.stringify(theirs), { mode: 0o600 });
    await new TerminalManager({ config: siteConfig, terminalsDir: d, glase: await GlaseClient.create({ endpoint: sim.endpoint, clientId: "test", timeoutMs: 5_000 }), reseller: async () => shop, logger: createLogger("test") }).tidy();
    expect(await readdir(join(d, "orphans"))).toEqual(["point-1-pending-aaaaaa.taken-999999999-abcd.json"]);
    expect((await readdir(d)).filter((n) => n.includes(".taken-"))).toEqual([`.point-1-pending-bbbbbb.taken-${process.pid}-abcd`]);
  });
});
