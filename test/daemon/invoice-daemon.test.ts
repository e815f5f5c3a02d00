// The Invoice Service wired into the daemon: `glase-agent run` with the embedded simulator and
// an invoiceService section; a QR issued over admin.sock, paid through the simulator's control
// surface, notified, fetched and released once; `invoices` lists it.
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
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
    const configFile = await writeStationConfig(dir, (doc) => {
      doc.invoiceService = { issuerName: "demo-kiosk", secretFile, notificationTokenFile: tokenFile, listen: `127.0.0.1:${port}`, publicUrl: `http://127.0.0.1:${port}/glase/notify` };
    });

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
    agent.kill("SIGTERM");
    expect(await agent.exit()).toBe(0);
  }, 180_000);
});
