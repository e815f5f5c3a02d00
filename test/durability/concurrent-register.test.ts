// Two `glase-agent register --point 2` at once, as two technicians (or a script and a person)
// would start them: real processes against the simulator. The first is held right after its
// pending record is on disk (strace stops it there — the moment it would be waiting for Glase),
// and the second runs to its end meanwhile. Exactly one may register; the other must be refused
// without touching the first one's record; no terminal Glase creates may lose its password.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pathArgs } from "./discipline.ts";
import { BIN, POINT1, Site } from "./site.ts";
import { straced } from "./strace.ts";

let site: Site;
beforeAll(async () => {
  site = await Site.open();
});
afterAll(async () => {
  await site?.close();
});

describe("concurrent registrations of one point", () => {
  it("the second is refused while the first waits; the first registers; every created terminal's password is kept", async () => {
    const state = join(site.dir, "conc-state");
    const config = await site.config("conc", state);
    const args = ["register", "--point", "2", "--config", config, "--socket-dir", join(site.dir, "no-agent"), "--json"];
    const pending = join(state, "terminals", "point-2.pending.json");
    let second: Awaited<ReturnType<Site["cli"]>> | undefined;
    const first = await straced([process.execPath, BIN, ...args], {
      stopOn: ["link", "linkat", "rename", "renameat", "renameat2"],
      onBoundary: async (e) => {
        if (second || pathArgs(e)[1] !== pending || e.result.startsWith("-1")) return;
        second = await site.cli(args);
      },
    });
    expect(second, "the second run happened while the first was held").toBeDefined();
    expect(first.code, first.stderr).toBe(0);
    expect(second!.code).not.toBe(0);
    expect(second!.stderr).toMatch(/CONFLICT: point 2: another registration .* is waiting for Glase's answer/);

    const created = site.sim.sim.dump().terminals.filter((t) => t.terminalId !== POINT1.id && t.registered);
    expect(created).toHaveLength(1);
    const stored = JSON.parse(await readFile(join(state, "terminals", "point-2.json"), "utf8"));
    expect(stored.terminalId).toBe(created[0]!.terminalId);
    expect(await site.credentialsWork({ terminalId: stored.terminalId, password: stored.password })).toBe(true);
    expect((await readdir(join(state, "terminals"))).sort()).toEqual(["point-2.json"]);
  }, 60_000);
});
