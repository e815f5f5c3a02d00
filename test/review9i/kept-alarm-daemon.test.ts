// Review 7 #1 (issue 9), through the daemon: a kept money alarm of a finished flow is in `ctl alarms`
// after a start, `ctl ack` clears it, and the next start does not raise it again (the ack reaches
// the journal: agent/daemon/station.ts ackAlarm). A real agent process on the simulated station.
import { mkdtemp, mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { ControlClient } from "../../agent/daemon/sockets/client.ts";
import { recordOf } from "../../agent/flows/runner.ts";
import { openJournal } from "../../agent/journal/journal.ts";
import type { FlowState } from "../../agent/core/transition.ts";
import { startPos } from "../../agent/core/pos.ts";
import { AgentProcess } from "../daemon/agent-process.ts";
import { writeStationConfig } from "../daemon/station-config.ts";
import { ctxAt } from "../core/helpers.ts";

let dir: string | undefined;
let agent: AgentProcess | undefined;
afterAll(async () => {
  await agent?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Listed = { id: string; code: string; flowId?: string };

it("ctl ack of a kept money alarm reaches the journal: the next start does not raise it again", async () => {
  dir = await mkdtemp(join(tmpdir(), "r7-kept-daemon-"));
  const configFile = await writeStationConfig(dir);
  await mkdir(join(dir, "state"), { recursive: true });
  const pos = startPos({ flowId: "K7-late", point: 7, terminalId: "00000000000000000000000000000007", currency: "SEK", stationName: "S", amountMinor: 990 } as never, ctxAt(0)).state as FlowState;
  const journal = await openJournal({ path: join(dir, "state", "journal.sqlite") });
  const alarm = { type: "alarm" as const, code: "paid-twice", message: "point 7: a late invoice of this sale was paid too (E-LATE, 9.90 SEK) — refund it: ctl refund E-LATE 9.90", refundable: { ersReference: "E-LATE", amountMinor: 990, currency: "SEK", point: 7 } };
  await journal.append(recordOf({ ...pos, phase: "finished", outcome: "released" } as FlowState, { type: "start" }, [alarm], Date.now()));
  await journal.close();
  const kept = async () => {
    agent = await AgentProcess.start(configFile);
    await agent.ready();
    const admin = await ControlClient.connect(join(dir!, "run", "admin.sock"));
    const found = (await admin.request<Listed[]>("alarms")).find((a) => a.flowId === "K7-late" && a.code === "paid-twice");
    return { admin, found };
  };
  const first = await kept();
  expect(first.found).toBeDefined();
  await first.admin.request("ack", { id: first.found!.id });
  expect((await first.admin.request<Listed[]>("alarms")).some((a) => a.flowId === "K7-late")).toBe(false);
  first.admin.close();
  agent!.kill("SIGTERM");
  await agent!.exit();
  await agent!.dispose();
  const second = await kept();
  expect(second.found).toBeUndefined();
  second.admin.close();
}, 180_000);
