// Review 2 of issue 11 (#3 again): restart while the vending machine's MDB adapter is down. The
// device board says degraded ("MDB adapter not reachable … retrying") and ctl points says
// device-fault, but NO device-link-down alarm is raised — ctl alarms, status, metrics and the
// webhook stay silent until the link happens to come up and drop again. Cause: the Station
// subscribes to the board's changes in its constructor, after compose.ts opened the devices, and
// never syncs the link alarms from the board's current state.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ControlClient } from "../../../agent/daemon/sockets/client.ts";
import { AgentProcess, eventually } from "../../daemon/agent-process.ts";
import { writeStationConfig } from "../../daemon/station-config.ts";

let dir: string;
let agent: AgentProcess | undefined;
afterAll(async () => {
  await agent?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function ask<T>(cmd: string): Promise<T> {
  const c = await ControlClient.connect(join(dir, "run", "status.sock"));
  try {
    return await c.request<T>(cmd, {});
  } finally {
    c.close();
  }
}

describe("MDB adapter down when the agent starts", () => {
  it("raises device-link-down for the vending point", async () => {
    dir = await mkdtemp(join(tmpdir(), "rv11-mdb-down-"));
    const configFile = await writeStationConfig(dir, (doc) => {
      // Lean: only the vending machine (point 8) and its controller.
      doc.points = doc.points.filter((p: { id: number }) => p.id === 8);
      doc.devices.controllers = doc.devices.controllers.filter((c: { id: string }) => c.id === "vend");
      const vend = doc.devices.controllers[0];
      delete vend.virtual;
      vend.currency = "SEK";
      vend.link = { kind: "tcp", host: "127.0.0.1", port: 1 }; // nothing listens: ECONNREFUSED
    });
    agent = await AgentProcess.start(configFile);
    await agent.ready();
    // The board knows (this holds today):
    await eventually(async () => {
      const s = await ask<{ devices: Array<{ controller?: string; state: string }> }>("status");
      return s.devices.find((d) => d.controller === "vend")?.state === "degraded";
    }, 20_000, "vend degraded");
    // The alarm book does not:
    const alarms = await ask<Array<{ code: string; point?: number }>>("alarms");
    expect(alarms.map((a) => `${a.code} ${a.point}`)).toContain("device-link-down 8");
    // And `ctl points` shows it on the point (review 2 of issue 11 #5), beside the device fault.
    const points = await ask<Array<{ point: number; alarms: Array<{ code: string }>; outOfService?: { cause: string } }>>("points");
    const vend = points.find((p) => p.point === 8);
    expect(vend?.alarms.map((a) => a.code)).toContain("device-link-down");
    expect(vend?.outOfService?.cause).toBe("device-fault");
  }, 60_000);
});
