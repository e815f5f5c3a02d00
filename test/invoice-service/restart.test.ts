// Notifications across agent restarts, with real child processes killed with SIGKILL: the issuer
// endpoint is down for the first 5 attempts of the §7.5 schedule, the agent that answers attempt
// 6 journals the notification and dies before it can fetch the details, the next agent resumes
// from the journal — exactly one release in all.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, expect, it } from "vitest";
import { freePort, waitFor } from "./helpers.ts";
import { payQr, startPair, type Pair } from "./fixture.ts";

const CHILD = fileURLToPath(new URL("./agent-child.ts", import.meta.url));

interface Child {
  readonly process: ChildProcess;
  stdout: string;
}

const children: Child[] = [];
let pair: Pair | undefined;
afterEach(async () => {
  for (const c of children.splice(0)) if (c.process.exitCode === null) c.process.kill("SIGKILL");
  await pair?.close();
  pair = undefined;
});

function spawnAgent(config: unknown): Child {
  const child: Child = { process: spawn(process.execPath, ["--import", "tsx", CHILD, JSON.stringify(config)], { stdio: ["ignore", "pipe", "pipe"] }), stdout: "" };
  child.process.stdout!.on("data", (d: Buffer) => (child.stdout += d.toString()));
  child.process.stderr!.on("data", (d: Buffer) => (child.stdout += d.toString()));
  children.push(child);
  return child;
}

async function kill(child: Child): Promise<void> {
  const exited = new Promise((r) => child.process.once("exit", r));
  child.process.kill("SIGKILL");
  await exited;
}

interface Attempt {
  n: number;
  status: number | null;
  error?: string;
  secondsAfterPayment: number;
}

it("releases exactly once when the issuer is down for 5 attempts and crashes after acknowledging", async () => {
  pair = await startPair();
  const { service, simClock } = pair;
  const invoice = await pair.agent.issue({ amountMinor: 9_900, currency: "SEK", description: "Parking 2 h", reference: "PARK-77" });
  const endpoint = pair.agent.endpointUrl;
  const port = new URL(endpoint).port;
  await pair.agent.close(); // the issuer endpoint is down from here on

  const attempts = async (): Promise<Attempt[]> => {
    const state = (await (await fetch(`${service.url}/__sim/invoice/state`)).json()) as { invoices: { notification: { attempts: Attempt[] } }[] };
    return state.invoices[0]?.notification.attempts ?? [];
  };
  const offsets = [0, 10, 20, 80, 305, 755];
  const advanceTo = async (k: number) => {
    if (k > 0) simClock.advance((offsets[k]! - offsets[k - 1]!) * 1000);
    await waitFor(`attempt ${k + 1}`, async () => (await attempts()).length === k + 1);
  };

  expect((await payQr(service, invoice.qr)).status).toBe(200);
  for (let k = 0; k < 5; k++) await advanceTo(k);
  expect((await attempts()).map((a) => a.status)).toEqual([null, null, null, null, null]);

  // Agent B: up for attempt 6, but its details URL leads nowhere, so it can only journal and ack.
  const releaseLog = join(pair.dir, "releases.jsonl");
  const base = { journalPath: pair.journalPath, releaseLog };
  const settings = { ...pair.settings, listen: `127.0.0.1:${port}` };
  const b = spawnAgent({ ...base, settings: { ...settings, detailsBaseUrl: `http://127.0.0.1:${await freePort()}` } });
  await waitFor("agent B ready", () => b.stdout.includes("READY"), 30_000);
  await advanceTo(5);
  expect((await attempts()).at(-1)).toMatchObject({ n: 6, status: 200, secondsAfterPayment: 755 });
  await waitFor("agent B's failed details fetch", () => b.stdout.includes("details_fetch_retry"), 30_000);
  await kill(b);
  expect(existsSync(releaseLog)).toBe(false);

  // Agent C resumes from the journal: no further notification comes (the 200 stopped them).
  const c = spawnAgent({ ...base, settings });
  await waitFor("agent C ready", () => c.stdout.includes("READY"), 30_000);
  await waitFor("release", () => existsSync(releaseLog) && readFileSync(releaseLog, "utf8").length > 0, 30_000);
  simClock.advance(48 * 3600 * 1000);
  expect(await attempts()).toHaveLength(6);

  // A late duplicate notification changes nothing, before or after another crash.
  const notify = () => fetch(endpoint, { method: "POST", headers: { "content-type": "application/json" }, body: '{"invoiceId": 1001}' });
  expect(await (await notify()).json()).toEqual({ invoiceId: 1001, status: "already-received" });
  await kill(c);
  await pair.openAgent();
  expect(await (await notify()).json()).toEqual({ invoiceId: 1001, status: "already-received" });
  await pair.agent.settled();

  const lines = readFileSync(releaseLog, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { pid: number; reference: string; glaseInvoiceId: number });
  expect(lines).toEqual([{ pid: c.process.pid, reference: "PARK-77", glaseInvoiceId: 1001 }]);
  expect(pair.released).toEqual([]);
  expect(await pair.agent.listInvoices()).toEqual([expect.objectContaining({ reference: "PARK-77", state: "released", glaseInvoiceId: 1001 })]);
  expect(await pair.agent.listNotifications()).toEqual([expect.objectContaining({ invoiceId: 1001, state: "settled" })]);
  expect(pair.alarms).toEqual([]);
});
