// `npm start`'s station as shipped (config/simulated-station.yaml) in a fresh working directory:
// customers arrive, pay, receipts land in .glase/receipts, and `glase-agent ctl` run from the same
// directory finds the agent without any option; SIGINT (Ctrl-C) stops it cleanly.
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { eventually } from "./agent-process.ts";

const exec = promisify(execFile);
const BIN = resolve("bin/glase-agent.js");
const CONFIG = resolve("config/simulated-station.yaml");
let dir: string | undefined;

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the simulated station (npm start)", () => {
  it("serves customers, writes receipts, answers ctl from the same directory, stops on Ctrl-C", async () => {
    dir = await mkdtemp(join(tmpdir(), "glase-npm-start-"));
    // No metrics port: several test runs may share the machine.
    const child = spawn(process.execPath, [BIN, "run", "--config", CONFIG], { cwd: dir, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NOTIFY_SOCKET: "" } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      const receipts = join(dir, ".glase", "receipts");
      const files = await eventually(async () => {
        const list = await readdir(receipts).catch(() => [] as string[]);
        return list.length >= 2 ? list : undefined;
      }, 150_000, `two receipts in ${receipts}\n${out.slice(-2000)}`);
      const text = await readFile(join(receipts, files[0]!), "utf8");
      expect(text).toContain("Glase payment");
      expect(text).toContain("Glase Demo Station");
      const points = await exec(process.execPath, [BIN, "ctl", "points"], { cwd: dir });
      expect(points.stdout).toMatch(/^POINT\s+KIND\s+STATE/m);
      expect(points.stdout.trim().split("\n")).toHaveLength(6);
      const flows = JSON.parse((await exec(process.execPath, [BIN, "ctl", "flows", "--all", "--json"], { cwd: dir })).stdout) as Array<{ outcome?: string }>;
      expect(flows.some((f) => f.outcome === "paid")).toBe(true);
    } finally {
      child.kill("SIGINT");
    }
    expect(await exited).toBe(0);
    expect(out).toContain("daemon stopped signal=SIGINT");
  }, 240_000);
});
