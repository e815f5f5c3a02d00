// `glase-agent simulator` as a real child process: starts, serves ?wsdl, stops cleanly on SIGINT
// and SIGTERM; bad options and provisioning files are reported, not crashed on.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

function run(args: string[]) {
  const child = spawn(process.execPath, ["bin/glase-agent.js", "simulator", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  /** Resolves with the endpoint URL once the banner is printed. */
  const started = new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", () => {
      const m = /endpoint\s+(\S+)/.exec(stdout);
      if (m) resolve(m[1]!);
    });
    child.on("exit", (code) => reject(new Error(`exited ${code} before starting: ${stderr}`)));
  });
  started.catch(() => undefined); // only the tests that await it care
  return { child, started, exited, out: () => stdout, err: () => stderr };
}

describe("glase-agent simulator", () => {
  it("starts on an ephemeral port, answers ?wsdl and exits 0 on SIGINT", async () => {
    const p = run(["--port", "0"]);
    const endpoint = await p.started;
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/soap\/merchant\/cashregister-2$/);
    expect(endpoint).not.toContain(":0/");
    const wsdl = await (await fetch(endpoint + "?wsdl")).text();
    expect(wsdl).toContain(`<soap:address location="${endpoint}"/>`);
    p.child.kill("SIGINT");
    expect(await p.exited).toBe(0);
    expect(p.out()).toContain("stopped");
  });

  it("exits 0 on SIGTERM and honours --provision and --auto-customer", async () => {
    const dir = mkdtempSync(join(tmpdir(), "glase-sim-"));
    const file = join(dir, "p.yaml");
    writeFileSync(file, "terminals:\n  - id: till1\n    password: pass1234\n    seqrId: TILL1\n", { mode: 0o600 });
    const p = run(["--port", "0", "--provision", file, "--auto-customer", "0"]);
    const endpoint = await p.started;
    const state = (await (await fetch(endpoint.replace("/soap/merchant/cashregister-2", "/__sim/state"))).json()) as any;
    expect(state.terminals.map((t: { terminalId: string }) => t.terminalId)).toEqual(["till1"]);
    expect(state.settings.autoCustomer).toEqual({ enabled: true, confirmAfterMs: 0 });
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
  });

  it("prints help; rejects a bad port and an invalid provisioning file with exit 2", async () => {
    const help = run(["--help"]);
    expect(await help.exited).toBe(0);
    expect(help.out()).toContain("Usage: glase-agent simulator");
    const bad = run(["--port", "70000"]);
    expect(await bad.exited).toBe(2);
    expect(bad.err()).toContain("--port");
    const dir = mkdtempSync(join(tmpdir(), "glase-sim-"));
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "shops:\n  - resellerId: x\n    password: 1\n");
    const invalid = run(["--provision", file]);
    expect(await invalid.exited).toBe(2);
    expect(invalid.err()).toContain("shops.0.password");
  });
});

describe("glase-agent simulator --profile", () => {
  it("starts the strict profile and refuses an unknown one", async () => {
    const p = run(["--port", "0", "--profile", "strict"]);
    const endpoint = await p.started;
    expect(p.out()).toContain("(strict profile)");
    const state = (await (await fetch(new URL("/__sim/state", endpoint))).json()) as { settings: { profile: string } };
    expect(state.settings.profile).toBe("strict");
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    const bad = run(["--port", "0", "--profile", "lenient"]);
    expect(await bad.exited).not.toBe(0);
    expect(bad.err()).toContain("--profile must be default or strict");
  });
});
