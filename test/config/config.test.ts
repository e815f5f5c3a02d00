import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig, parseConfig, parseConfigText } from "../../agent/config/load.ts";
import { readSecretFile, writeSecretFile } from "../../agent/config/secrets.ts";
import { resolvePaths } from "../../agent/config/paths.ts";
import { readStoredTerminal, terminalCredentials, writeStoredTerminal } from "../../agent/config/credentials.ts";
import { isAgentError } from "../../agent/errors.ts";

const run = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-config-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function simulated(): Promise<Record<string, any>> {
  return parse(await readFile("config/simulated-station.yaml", "utf8"));
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (isAgentError(e, "CONFIG_INVALID")) return e.context.problems as string[];
    throw e;
  }
  throw new Error("expected CONFIG_INVALID");
}

describe("config schema", () => {
  it("accepts both shipped configs", async () => {
    const sim = await loadConfig("config/simulated-station.yaml");
    expect(sim.config.glase.endpoint).toBe("embedded-simulator");
    expect(sim.config.points.filter((p) => p.kind === "fuel")).toHaveLength(4);
    expect(sim.config.points.filter((p) => p.kind === "ev")).toHaveLength(2);
    expect(sim.config.devices.printer?.kind).toBe("virtual");
    const site = await loadConfig("config/example-site.yaml");
    expect(site.config.devices.controllers.map((c) => c.driver)).toEqual(["pts2", "ocpp16"]);
    expect(site.config.devices.scanner).toEqual({ kind: "hid", vendorId: 0x0c2e, productId: 0x0b61, format: "hid-pos" });
    expect(site.migrations).toEqual([]);
  });

  it("names the path and the problem of a missing terminal password", async () => {
    const doc = await simulated();
    delete doc.points[2].terminal.password;
    expect(problemsOf(() => parseConfig(doc))).toContain("points[2].terminal.password: required (or passwordFile)");
  });

  it("reports every problem at once, with readable paths", async () => {
    const doc = await simulated();
    delete doc.station.name;
    doc.station.currency = "kronor";
    doc.points[0].kind = "boat";
    doc.devices.printer.widht = 80;
    doc.metrics.host = "0.0.0.0";
    expect(problemsOf(() => parseConfig(doc))).toEqual([
      "station.name: required",
      "station.currency: must be an ISO 4217 code such as SEK",
      'points[0].kind: Invalid option: expected one of "fuel"|"ev"|"kiosk"',
      'devices.printer: Unrecognized key: "widht"',
      "metrics.host: must be a loopback address (127.x.x.x, ::1 or localhost)",
    ]);
  });

  it("checks cross-field rules (once the fields themselves are valid)", async () => {
    const doc = await simulated();
    doc.points[1].grades = ["95", "E85"];
    doc.points[3].id = 1;
    expect(problemsOf(() => parseConfig(doc))).toEqual([
      "points[3].id: duplicate point id 1",
      "devices.controllers[0].grades: point 2 sells grade 'E85', which is not in this controller's grades",
      "devices.controllers[0]: point 4 is not in points[] (each controller point needs its payment settings there)",
    ]);
  });

  it("refuses a document that is not a mapping and bad YAML with a line number", () => {
    expect(problemsOf(() => parseConfigText("- 1\n- 2\n"))[0]).toMatch(/^\(top level\): must be a mapping/);
    expect(problemsOf(() => parseConfigText("version: 2\nstation: {name: x\n"))[0]).toMatch(/^YAML line \d+/);
    expect(problemsOf(() => parseConfigText("version: 2\nversion: 2\n"))[0]).toMatch(/^YAML/);
  });

  it("rejects both inline password and passwordFile", async () => {
    const doc = await simulated();
    doc.points[0].terminal.passwordFile = "/x";
    expect(problemsOf(() => parseConfig(doc))).toContain("points[0].terminal.passwordFile: give either password or passwordFile, not both");
  });
});

describe("config migrations", () => {
  it("brings a v1 file to the current version (renamed fields, major → minor units)", async () => {
    const doc = await simulated();
    doc.version = 1;
    doc.glase.url = doc.glase.endpoint;
    delete doc.glase.endpoint;
    doc.points[0].terminal.terminalId = doc.points[0].terminal.id;
    delete doc.points[0].terminal.id;
    doc.points[0].maxPreliminaryAmount = 1234.5;
    delete doc.points[0].maxPreliminaryMinor;
    const loaded = parseConfig(doc);
    expect(loaded.migrations).toHaveLength(2);
    expect(loaded.config.version).toBe(3);
    expect(loaded.config.glase.endpoint).toBe("embedded-simulator");
    expect(loaded.config.points[0]!.terminal).toMatchObject({ id: "00000000000000000000000000000001" });
    expect(loaded.config.points[0]!.maxPreliminaryMinor).toBe(123450);
    expect(doc.glase.url).toBe("embedded-simulator"); // the input document is not mutated
  });

  it("refuses missing, malformed and future versions", async () => {
    const doc = await simulated();
    delete doc.version;
    expect(problemsOf(() => parseConfig(doc))).toEqual(["version: required"]);
    doc.version = "two";
    expect(problemsOf(() => parseConfig(doc))[0]).toMatch(/^version: must be a positive integer/);
    doc.version = 99;
    expect(problemsOf(() => parseConfig(doc))[0]).toMatch(/^version: 99 is newer/);
  });
});

describe("secret files", () => {
  it("reads a 0600 file and refuses group/world-readable ones with the fix", async () => {
    const path = join(dir, "pw");
    await writeFile(path, "s3cret\n", { mode: 0o600 });
    expect(await readSecretFile(path)).toBe("s3cret");
    await chmod(path, 0o640);
    await expect(readSecretFile(path)).rejects.toThrow(/mode 0640 lets group\/others read it; run `chmod 600/);
    await chmod(path, 0o604);
    await expect(readSecretFile(path)).rejects.toThrow(/mode 0604/);
    await expect(readSecretFile(join(dir, "missing"))).rejects.toThrow(/cannot read \(ENOENT\)/);
  });

  it("writes secret files 0600 and terminal credentials round-trip through the state dir", async () => {
    const terminals = join(dir, "state", "terminals");
    const path = await writeStoredTerminal(terminals, 3, { terminalId: "abc", password: "pw-long-enough" });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readStoredTerminal(terminals, 3)).toMatchObject({ terminalId: "abc" });
    expect(await readStoredTerminal(terminals, 4)).toBeUndefined();
    const loaded = parseConfig({ ...(await simulated()) });
    const point = { ...loaded.config.points[2]!, terminal: undefined };
    expect(await terminalCredentials(point, terminals)).toEqual({ terminalId: "abc", password: "pw-long-enough" });
    const pwFile = join(dir, "t.pw");
    await writeSecretFile(pwFile, "from-file");
    expect(await terminalCredentials({ ...point, terminal: { id: "x", passwordFile: pwFile } }, terminals)).toEqual({ terminalId: "x", password: "from-file" });
  });
});

describe("paths", () => {
  it("uses systemd's directories when set, ./.glase otherwise, config overrides both", () => {
    const config = parseConfig(parse(`version: 2
station: {name: s, currency: SEK}
glase: {endpoint: embedded-simulator}
points: [{id: 1, kind: kiosk, grades: [W], maxPreliminaryMinor: 100}]
devices: {dispenser: {kind: virtual, grades: [{id: W, name: Wash, unit: L, unitPriceMinor: 1, vatRatePercent: 25}]}}
`)).config;
    expect(resolvePaths(config, {}, "/work")).toMatchObject({ stateDir: "/work/.glase/state", socketsDir: "/work/.glase/run", journal: "/work/.glase/state/journal.sqlite" });
    expect(resolvePaths(config, { STATE_DIRECTORY: "/var/lib/glase-agent", RUNTIME_DIRECTORY: "/run/glase-agent:/run/other" }, "/")).toMatchObject({
      stateDir: "/var/lib/glase-agent",
      socketsDir: "/run/glase-agent",
      terminalsDir: "/var/lib/glase-agent/terminals",
    });
    expect(resolvePaths({ ...config, sockets: { dir: "s" } }, { RUNTIME_DIRECTORY: "/run/x" }, "/w").socketsDir).toBe("/w/s");
  });
});

describe("glase-agent config check", () => {
  it("exits 0 for a valid file and 2 listing every problem", async () => {
    const ok = await run("node", ["bin/glase-agent.js", "config", "check", "config/simulated-station.yaml"]);
    expect(ok.stdout).toContain("valid");
    const site = await run("node", ["bin/glase-agent.js", "config", "check", "--skip-secrets", "config/example-site.yaml"]);
    expect(site.stdout).toContain("valid");
    const bad = join(dir, "bad.yaml");
    await writeFile(bad, (await readFile("config/simulated-station.yaml", "utf8")).replace("password: sim-pump-3-pass", "pasword: x"));
    const err = await run("node", ["bin/glase-agent.js", "config", "check", bad, "--json"]).catch((e) => e);
    expect(err.code).toBe(2);
    const out = JSON.parse(err.stdout);
    expect(out.valid).toBe(false);
    expect(out.problems).toEqual([`points[2].terminal: Unrecognized key: "pasword"`]);
  });
});

describe("config check: money safety", () => {
  it("(11) refuses two points sharing one terminal id, naming both paths", async () => {
    const doc = await simulated();
    doc.points[1].terminal.id = doc.points[0].terminal.id;
    expect(problemsOf(() => parseConfig(doc))).toContain(
      `points[1].terminal.id: terminal ${doc.points[0].terminal.id} is also used by points[0].terminal.id (a terminal holds one open invoice: each point needs its own)`,
    );
  });

  it("(11) refuses a credentials file naming the terminal another point uses, naming both paths", async () => {
    const creds = join(dir, "point-2.json");
    const doc = await simulated();
    await writeSecretFile(creds, JSON.stringify({ terminalId: doc.points[0].terminal.id, password: "secret-2" }));
    doc.points[1].terminal = { credentialsFile: creds };
    const file = join(dir, "shared-terminal.yaml");
    await writeFile(file, JSON.stringify(doc));
    const err = await run("node", ["bin/glase-agent.js", "config", "check", file, "--json"]).catch((e) => e);
    expect(err.code).toBe(2);
    expect(JSON.parse(err.stdout).problems).toEqual([
      `points[1].terminal.credentialsFile: terminal ${doc.points[0].terminal.id} is also used by points[0].terminal.id (a terminal holds one open invoice: each point needs its own)`,
    ]);
  });

  it("(12) refuses a currency whose minor unit is not two decimals", async () => {
    for (const [currency, digits] of [
      ["JPY", 0],
      ["KWD", 3],
    ] as const) {
      const doc = await simulated();
      doc.station.currency = currency;
      expect(problemsOf(() => parseConfig(doc))).toContain(
        `station.currency: ${currency} has ${digits} decimals; Glase amounts carry exactly 2 (contract §6.5), so only 2-decimal currencies are supported`,
      );
    }
  });

  it("(3) refuses a reservation too short to stop a delivery and settle it with the safety margin", async () => {
    const doc = await simulated();
    doc.points[0].commitReservationTimeoutS = 100;
    doc.flows = { commitSafetyMarginS: 60 };
    expect(problemsOf(() => parseConfig(doc))).toContain(
      "points[0].commitReservationTimeoutS: must exceed twice flows.commitSafetyMarginS (120 s): deliveries stop one margin before the commit deadline, which is one margin before the lapse",
    );
  });
});
