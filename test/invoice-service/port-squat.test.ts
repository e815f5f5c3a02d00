// A local user who binds the notification port first (review 3 #4): nginx would forward every
// notification — the token in its path — to them. On TCP the agent must not give up the port
// for good: an alarm naming who holds it, then a retried bind that wins the port back as soon as
// the squatter lets go (a real squatter process, uid 65534, on loopback). On a Unix socket in a
// directory only the agent may write, squatting is impossible; a directory others may write, or
// a file there that is not our socket, is refused.
import { spawn, type ChildProcess } from "node:child_process";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openInvoiceIssuer, type InvoiceIssuer } from "../../agent/invoice-service/issuer.ts";
import type { InvoiceAlarm } from "../../agent/invoice-service/settlement.ts";
import type { Logger } from "../../agent/log.ts";
import { silentLog, tempDir, TOKEN, writeSecret, writeToken } from "./helpers.ts";

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** A squatter as another local user: listens on the port and prints whatever reaches it. */
async function squat(port: number): Promise<{ child: ChildProcess; received: () => string }> {
  const child = spawn(process.execPath, ["-e", `require("net").createServer((s) => s.on("data", (d) => process.stdout.write(d))).listen(${port}, "127.0.0.1", () => process.stderr.write("ready\\n"))`], { uid: 65534, gid: 65534, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on("data", (d) => (String(d).includes("ready") ? resolve() : undefined));
    child.once("exit", (c) => reject(new Error(`squatter exited ${c}`)));
  });
  return { child, received: () => out };
}

function post(target: { port: number } | { socketPath: string }, path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ ...("port" in target ? { host: "127.0.0.1", port: target.port } : { socketPath: target.socketPath }), path, method: "POST", headers: { "content-type": "application/json" } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once("error", reject);
    req.end(body);
  });
}

async function issuer(listen: string, events: { alarms: InvoiceAlarm[]; recovered?: () => void; cleared?: string[] }): Promise<InvoiceIssuer> {
  const dir = await tempDir();
  cleanup.push(dir.remove);
  const log: Logger = { ...silentLog, info: (event) => void (event === "notification_port_recovered" && events.recovered?.()), child: () => log };
  const agent = await openInvoiceIssuer(
    { issuerName: "kiosk", secretFile: await writeSecret(dir.path, "kiosk-secret-0123"), notificationTokenFile: await writeToken(dir.path), listen, publicUrl: "https://kiosk.example/glase/notify", detailsBaseUrl: "http://127.0.0.1:9" },
    { journalPath: join(dir.path, "invoices.sqlite"), release: async () => undefined, onAlarm: (a) => events.alarms.push(a), onAlarmCleared: (k) => events.cleared?.push(k), listenRetry: { baseMs: 20, maxMs: 200 }, log },
  );
  cleanup.push(() => agent.close());
  return agent;
}

describe("a squatted notification port", () => {
  it("TCP: alarm naming the holder, bounded-backoff retries, the port won back once the squatter lets go", async () => {
    const port = await freePort();
    const squatter = await squat(port);
    cleanup.push(() => void squatter.child.kill("SIGKILL"));
    const alarms: InvoiceAlarm[] = [];
    const cleared: string[] = [];
    let recovered!: () => void;
    const back = new Promise<void>((r) => (recovered = r));
    // Before the fix the issuer failed to open (EADDRINUSE) and the daemon never tried again.
    await issuer(`127.0.0.1:${port}`, { alarms, recovered, cleared });
    const taken = alarms.find((a) => a.kind === "port-taken");
    expect(taken?.detail).toMatch(new RegExp(`127\\.0\\.0\\.1:${port} is held by uid 65534 \\(nobody\\)`));
    expect(taken?.detail).toContain("unix:/run/glase-agent/notify.sock");
    expect(cleared).toEqual([]);
    squatter.child.kill("SIGKILL");
    await back;
    // The alarm is a condition: it clears once the port is ours again (review 4 #2).
    expect(cleared).toEqual(["port-taken"]);
    expect(await post({ port }, `/glase/notify/${TOKEN}`, JSON.stringify({ invoiceId: 4711 }))).toBe(200);
    // Nothing of ours ever went to the squatter.
    expect(squatter.received()).not.toContain(TOKEN);
  });

  it("Unix socket: served; a directory others may write, or a foreign file at the path, is refused", async () => {
    const dir = await tempDir();
    cleanup.push(dir.remove);
    const run = join(dir.path, "run");
    await mkdir(run, { mode: 0o755 });
    const socketPath = join(run, "notify.sock");
    const agent = await issuer(`unix:${socketPath}`, { alarms: [] });
    expect(await post({ socketPath }, `/glase/notify/${TOKEN}`, JSON.stringify({ invoiceId: 4712 }))).toBe(200);
    expect(await post({ socketPath }, "/glase/notify/not-the-token", JSON.stringify({ invoiceId: 1 }))).toBe(404);
    await agent.close();
    cleanup.pop();
    // A restart replaces its own stale socket.
    const again = await issuer(`unix:${socketPath}`, { alarms: [] });
    await again.close();
    cleanup.pop();

    const open = join(dir.path, "open");
    await mkdir(open);
    await chmod(open, 0o1777);
    await expect(issuer(`unix:${join(open, "notify.sock")}`, { alarms: [] })).rejects.toThrow(/may be written by others/);
    await writeFile(join(run, "other.sock"), "");
    await expect(issuer(`unix:${join(run, "other.sock")}`, { alarms: [] })).rejects.toThrow(/is not a socket of this agent's user/);
  });
});
