// One bad point or device never stops the station, and a restart forgets nothing a technician
// needs: the real daemon against the simulator, with an empty credentials file (point 2), a
// registration whose answer was lost (point 3: the simulator applies registerTerminal and drops
// the connection), a printer whose receipts folder cannot be created and a shop password file
// group may read (not needed to sell: an alarm, not a dark station). The state directory may be
// a symbolic link (a common embedded layout).
import { chmod, mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlClient } from "../../agent/daemon/sockets/client.ts";
import type { AlarmInfo, FlowSummary, PointSnapshot, StoredReceipt } from "../../agent/engine-api.ts";
import { AgentProcess, eventually, SHOP, Site } from "./site.ts";

let site: Site;
beforeAll(async () => {
  site = await Site.open();
});
afterAll(async () => {
  await site?.close();
});

async function connect(run: string) {
  return { status: await ControlClient.connect(join(run, "status.sock")), admin: await ControlClient.connect(join(run, "admin.sock")) };
}

describe("start-up with broken parts", () => {
  it("empty credentials, an unanswered registration, an unusable printer and shop password: the daemon starts, those are out of service with alarms, point 1 sells; register again resolves point 3", async () => {
    const state = join(site.dir, "broken-state");
    await writeFile(join(site.dir, "not-a-dir"), "x");
    const shopPass = join(site.dir, "shop.pass");
    await writeFile(shopPass, SHOP.password, { mode: 0o600 });
    const config = await site.config("broken", state, {
      printer: { kind: "virtual", dir: join(site.dir, "not-a-dir", "receipts"), width: 58 },
      reseller: { id: SHOP.resellerId, passwordFile: shopPass },
    });
    const noAgent = ["--config", config, "--socket-dir", join(site.dir, "no-agent")];

    // Point 3: Glase creates the terminal, the answer never arrives.
    site.sim.sim.injectFault({ operation: "registerTerminal", kind: "drop", afterProcessing: true });
    const lost = await site.cli(["register", "--point", "3", ...noAgent]);
    expect(lost.code).not.toBe(0);
    expect(lost.stderr).toContain("glase-agent register --point 3");
    const pending = JSON.parse(await readFile(join(state, "terminals", "point-3.pending.json"), "utf8"));
    const orphan = site.terminalByExternalId(pending.externalTerminalId)!;
    expect(orphan, "the simulator created the terminal").toBeDefined();
    expect(await site.credentialsWork({ terminalId: orphan.terminalId, password: pending.password })).toBe(true);

    // Point 2: a credentials file a power cut emptied.
    await writeFile(join(state, "terminals", "point-2.json"), "");
    await chmod(join(state, "terminals", "point-2.json"), 0o600);

    // The shop password file made group-readable (0640): refused as a secret, but not needed to sell.
    await chmod(shopPass, 0o640);

    const agent = await AgentProcess.start(config);
    try {
      await agent.ready(60_000);
      const { status, admin } = await connect(site.socketDir("broken", state));
      const points = await status.request<PointSnapshot[]>("points");
      const alarms = await status.request<AlarmInfo[]>("alarms");
      expect(points.find((p) => p.point === 1)?.state).toBe("idle");
      expect(points.find((p) => p.point === 2)).toMatchObject({ state: "stopped", terminalId: "" });
      expect(points.find((p) => p.point === 3)).toMatchObject({ state: "stopped", terminalId: "" });
      const p2 = alarms.find((a) => a.point === 2)!;
      expect(p2.code).toBe("credentials-unusable");
      expect(p2.message).toMatch(/point-2\.json: empty.*restore .*backup.*glase-agent register --point 2/);
      const p3 = alarms.find((a) => a.point === 3)!;
      expect(p3.code).toBe("registration-unconfirmed");
      expect(p3.message).toContain(pending.externalTerminalId);
      expect(alarms.some((a) => a.code === "device-printer-unavailable")).toBe(true);
      const shopAlarm = alarms.find((a) => a.code === "shop-credentials-unusable")!;
      expect(shopAlarm.message).toContain(`chmod 600 ${shopPass}`);
      expect(shopAlarm.point).toBeUndefined();
      expect((await status.request<{ devices: Array<{ device: string; state: string }> }>("status")).devices.find((d) => d.device === "printer")?.state).toBe("degraded");
      // The `ctl points` table shows the alarm codes on the points.
      const table = await site.cli(["ctl", "points", "--socket-dir", site.socketDir("broken", state)]);
      expect(table.stdout).toMatch(/^3\s+fuel\s+stopped\s.*registration-unconfirmed/m);

      // Every other point works.
      await site.sale(status, 1, 1_500);
      expect((await status.request<StoredReceipt[]>("receipts")).length).toBe(1);
      await chmod(shopPass, 0o600); // the technician follows the alarm

      // A registration through admin.sock whose answer is lost is an alarm at once (not at the next reload).
      site.sim.sim.injectFault({ operation: "registerTerminal", kind: "drop", afterProcessing: true });
      await expect(admin.request("register", { point: 2 })).rejects.toThrow(/register --point 2/);
      const now = (await status.request<AlarmInfo[]>("alarms")).filter((a) => a.point === 2);
      expect(now.map((a) => a.code)).toEqual(["registration-unconfirmed"]);

      // Register point 3 again (through the running agent): the lost attempt is kept, not lost.
      const again = await site.cli(["register", "--point", "3", "--json", "--config", config, "--socket-dir", site.socketDir("broken", state)]);
      expect(again.code, again.stderr).toBe(0);
      const fresh = JSON.parse(again.stdout);
      expect(fresh.terminalId).not.toBe(orphan.terminalId);
      const kept = (await readdir(join(state, "terminals", "orphans"))).filter((f) => f.startsWith("point-3-"));
      expect(kept).toHaveLength(1);
      const keptRecord = JSON.parse(await readFile(join(state, "terminals", "orphans", kept[0]!), "utf8")).record;
      expect(keptRecord).toMatchObject({ externalTerminalId: pending.externalTerminalId, password: pending.password });
      await eventually(async () => (await status.request<PointSnapshot[]>("points")).find((p) => p.point === 3 && p.state === "idle" && p.terminalId === fresh.terminalId), 30_000, "point 3 in service");
      const after = await status.request<AlarmInfo[]>("alarms");
      expect(after.some((a) => a.point === 3)).toBe(false);
      expect(after.some((a) => a.code === "shop-credentials-unusable"), "fixed shop password: no alarm after the engine restart").toBe(false);
      for (const secret of [pending.password, keptRecord.password]) expect(agent.output + again.stdout + again.stderr).not.toContain(secret);
      status.close();
      admin.close();
      agent.kill("SIGTERM");
      expect(await agent.exit()).toBe(0);
    } finally {
      await agent.dispose();
    }
  }, 180_000);

  it("after a restart `ctl flows --all` still lists the refund confirmed before it (state directory behind a link)", async () => {
    // The state directory is a link to the data partition.
    const state = join(site.dir, "restart-state");
    await mkdir(join(site.dir, "data", "glase-agent"), { recursive: true });
    await symlink(join(site.dir, "data", "glase-agent"), state);
    const config = await site.config("restart", state);
    const run = site.socketDir("restart", state);
    let agent = await AgentProcess.start(config);
    let refundFlow: string;
    try {
      await agent.ready(60_000);
      const { status, admin } = await connect(run);
      await site.sale(status, 1, 2_000);
      const [receipt] = await status.request<StoredReceipt[]>("receipts");
      const refund = await admin.request<{ flowId: string; refundErsReference?: string }>("refund", { ersReference: receipt!.ersReference, amountMinor: 500 });
      expect(refund.refundErsReference).toBeDefined();
      refundFlow = refund.flowId;
      status.close();
      admin.close();
      agent.kill("SIGKILL"); // everything confirmed is fsynced in the journal; nothing else is needed
      await agent.exit();
    } finally {
      await agent.dispose();
    }
    agent = await AgentProcess.start(config);
    try {
      await agent.ready(60_000);
      const status = await ControlClient.connect(join(run, "status.sock"));
      const flows = await status.request<FlowSummary[]>("flows", { all: true });
      expect(flows.find((f) => f.flowId === refundFlow)).toMatchObject({ kind: "refund", finished: true, outcome: "refunded", amountMinor: 500, point: 1 });
      expect(flows.some((f) => f.kind === "preliminary" && f.outcome === "paid")).toBe(true);
      const table = await site.cli(["ctl", "flows", "--all", "--socket-dir", run]);
      expect(table.stdout).toContain(refundFlow);
      status.close();
      agent.kill("SIGTERM");
      expect(await agent.exit()).toBe(0);
    } finally {
      await agent.dispose();
    }
  }, 180_000);
});
