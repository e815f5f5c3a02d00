// The README runs `npm start` (config/simulated-station.yaml) and then, from the same clone,
// `npx glase-agent run --config config/ocpp-station.yaml`. Outside systemd both would default to
// ./.glase/state: the OCPP test station would open the demo station's journal and drivers.sqlite
// (its sales in `ctl receipts`/`export`/`close-period`, and driver-records-orphaned alarms for
// the demo's chargers and vending machine). Each locally runnable config keeps its own state
// and receipts; the sockets stay at the default so `glase-agent ctl` works unchanged.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseConfig } from "../../agent/config/load.ts";
import { resolvePaths } from "../../agent/config/paths.ts";

const LOCAL = ["config/simulated-station.yaml", "config/ocpp-station.yaml"];
const env = {}; // not under systemd
const cwd = "/clone";

async function load(file: string) {
  return parseConfig(parse(await readFile(file, "utf8"))).config;
}

describe("locally runnable example configs", () => {
  it("keep their journals, state and receipts apart; share the default sockets", async () => {
    const configs = await Promise.all(LOCAL.map(load));
    const paths = configs.map((c) => resolvePaths(c, env, cwd));
    expect(new Set(paths.map((p) => p.stateDir)).size).toBe(LOCAL.length);
    expect(new Set(paths.map((p) => p.journal)).size).toBe(LOCAL.length);
    const receipts = configs.map((c) => (c.devices.printer as { dir?: string } | undefined)?.dir);
    expect(receipts.every((d) => typeof d === "string")).toBe(true);
    expect(new Set(receipts).size).toBe(LOCAL.length);
    expect(paths.map((p) => p.socketsDir)).toEqual(LOCAL.map(() => "/clone/.glase/run"));
  });
});
