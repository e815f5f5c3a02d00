// The Invoice Service wired into the daemon: `glase-agent run` with the embedded simulator and
// an invoiceService section; a QR issued over admin.sock, paid through the simulator's control
// surface, notified, fetched and released once; `invoices` lists it. A notification naming an id
// the Invoice Service does not know raises an alarm in the station's one alarm book: `ctl alarms`
// (with its action), `status`, the metrics, the watch stream and the alerting hook (raised, then
// cleared by `ctl ack`).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlClient } from "../../agent/daemon/sockets/client.ts";
import { freePort } from "../support/free-port.ts";
import { AgentProcess, eventually } from "./agent-process.ts";
import { writeNotificationToken, writeStationConfig } from "./station-config.ts";

let dir: string;
let agent: AgentProcess | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-inv-daemon-"));
});
afterAll(async () => {
  await agent?.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe("Invoice Service in the daemon", () => {
  it("issues a QR, the simulator pays it, the agent releases once and lists it", async () => {
    const secretFile = join(dir, "issuer.secret");
    await writeFile(secretFile, "kiosk-issuer-secret\n", { mode: 0o600 });
    await chmod(secretFile, 0o600);
    const port = await freePort();
    const tokenFile = await writeNotificationToken(dir);
    const hooks: Array<{ event: string; alarm: { code: string; id: string } }> = [];
    const receiver = createServer((req, res) => {
      let data = "";
      req.on("data", (d) => (data += d));
      req.on("end", () => {
        hooks.push(JSON.parse(data));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
    const metricsPort = await freePort();
    const configFile = await writeStationConfig(dir, (doc) => {
      doc.invoiceService = { issuerName: "demo-kiosk", secretFile, notificationTokenFile: tokenFile, listen: `127.0.0.1:${port}`, publicUrl: `http://127.0.0.1:${port}/glase/notify` };
      doc.alerts = { webhook: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts` }, retryBaseMs: 50, retryMaxMs: 200 };
    });
    // writeStationConfig drops the metrics section; this test reads the alarm metric.
    await writeFile(configFile, (await readFile(configFile, "utf8")) + `metrics:\n  host: 127.0.0.1\n  port: ${metricsPort}\n`);

    agent = await AgentProcess.start(configFile);
    await agent.ready();
    const admin = await ControlClient.connect(join(dir, "run", "admin.sock"));
    const issued = await admin.request<{ reference: string; qr: string }>("issue-invoice", { amountMinor: 4900, description: "Car wash", reference: "WASH-0001" });
    expect(issued.qr).toMatch(/\/000\/invoice\?j=/);
    const status = await admin.request<{ devices: Array<{ device: string; detail?: string }> }>("status");
    const simBase = new URL(status.devices.find((d) => d.device === "glase")!.detail!).origin;
    const pay = await fetch(`${simBase}/__sim/invoice/pay`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ qr: issued.qr }) });
    expect(pay.status).toBe(200);
    const listing = await eventually(
      async () => {
        const l = await admin.request<{ invoices: Array<{ reference: string; state: string; ersReference: string | null }> }>("invoices");
        return l.invoices.find((i) => i.reference === "WASH-0001" && i.state === "released") ? l : undefined;
      },
      60_000,
      "invoice released",
    );
    expect(listing.invoices).toHaveLength(1);
    expect(listing.invoices[0]!.ersReference).toBeTruthy();
    admin.close();
    expect(agent.output.match(/invoice-service-released reference=WASH-0001/g)).toHaveLength(1);

    // An id the Invoice Service does not know: one alarm, everywhere a technician looks.
    const watcher = await ControlClient.connect(join(dir, "run", "status.sock"));
    const watched: Array<{ type: string; change?: string; alarm?: { code: string } }> = [];
    void watcher.watch((e) => void watched.push(e as (typeof watched)[number]));
    await eventually(() => watched.some((e) => e.type === "snapshot"), 30_000, "the watch snapshot");
    const notified = await fetch(`http://127.0.0.1:${port}/glase/notify/a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ invoiceId: 987654 }) });
    expect(notified.status).toBe(200);
    const ackClient = await ControlClient.connect(join(dir, "run", "admin.sock"));
    type Listed = { id: string; code: string; count: number; firstAt: number; lastAt: number; action: string; origin: string };
    const alarm = await eventually(async () => (await ackClient.request<Listed[]>("alarms")).find((a) => a.code === "invoice-unknown-invoice"), 60_000, "the Invoice Service alarm");
    expect(alarm).toMatchObject({ origin: "invoice-service", count: 1, action: expect.stringContaining("ctl ack") });
    expect(alarm.firstAt).toBe(alarm.lastAt);
    const st = await ackClient.request<{ alarms: number; alarmCodes: string[] }>("status");
    expect(st.alarmCodes).toContain("invoice-unknown-invoice");
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toContain('glase_agent_alarms{code="invoice-unknown-invoice"} 1');
    expect(watched).toContainEqual(expect.objectContaining({ type: "alarm", change: "raised", alarm: expect.objectContaining({ code: "invoice-unknown-invoice" }) }));
    await eventually(() => hooks.some((h) => h.event === "alarm-raised" && h.alarm.code === "invoice-unknown-invoice"), 30_000, "the hook hears the raise");
    // Acknowledged: an event alarm clears — in the book, on the stream, at the hook.
    expect(await ackClient.request("ack", { id: alarm.id })).toMatchObject({ id: alarm.id, acknowledged: expect.objectContaining({ by: expect.any(String) }) });
    expect((await ackClient.request<Array<{ code: string }>>("alarms")).some((a) => a.code === "invoice-unknown-invoice")).toBe(false);
    expect((await ackClient.request("ack", { id: alarm.id }).catch((e: { remoteCode?: string }) => e.remoteCode))).toBe("NOT_FOUND");
    ackClient.close();
    await eventually(() => watched.some((e) => e.type === "alarm" && e.change === "cleared"), 30_000, "the cleared event on the stream");
    await eventually(() => hooks.some((h) => h.event === "alarm-cleared" && h.alarm.code === "invoice-unknown-invoice"), 30_000, "the hook hears the clear");
    watcher.close();
    receiver.close();
    agent.kill("SIGTERM");
    expect(await agent.exit()).toBe(0);
  }, 180_000);
});
