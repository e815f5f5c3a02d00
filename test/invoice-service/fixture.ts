// An agent issuer wired to a standalone simulated Invoice Service, both on loopback.
import { join } from "node:path";
import type { Scheduler } from "../../agent/core/clock.ts";
import type { ReceiptPrinter } from "../../drivers/printer/contract.ts";
import { openInvoiceIssuer, type InvoiceIssuer, type IssuerDeps } from "../../agent/invoice-service/issuer.ts";
import type { InvoiceAlarm } from "../../agent/invoice-service/settlement.ts";
import type { IssuerSettings } from "../../agent/invoice-service/settings.ts";
import type { InvoiceRecord } from "../../agent/invoice-service/store.ts";
import { SimClock } from "../../simulator/clock.ts";
import { startInvoiceServiceSimulator, type StandaloneInvoiceService } from "../../simulator/invoice-service/index.ts";
import { silentLog, tempDir, writeSecret, writeToken } from "./helpers.ts";

export const ISSUER = "kiosk";
export const SECRET = "kiosk-secret-0123";

export interface Pair {
  readonly dir: string;
  readonly service: StandaloneInvoiceService;
  readonly simClock: SimClock;
  readonly settings: IssuerSettings;
  readonly journalPath: string;
  readonly released: InvoiceRecord[];
  readonly alarms: InvoiceAlarm[];
  agent: InvoiceIssuer;
  /** Opens (again) an agent on the same journal file and port. */
  openAgent(options?: {
    clock?: Scheduler;
    printer?: ReceiptPrinter;
    release?: (i: InvoiceRecord) => Promise<void>;
    detailsBaseUrl?: string;
    endpointLimits?: IssuerDeps["endpointLimits"];
  }): Promise<InvoiceIssuer>;
  close(): Promise<void>;
}

export async function startPair(options: { printer?: ReceiptPrinter; agentClock?: Scheduler; detailsBaseUrl?: string } = {}): Promise<Pair> {
  const dir = await tempDir();
  const simClock = new SimClock({ manual: true, start: Date.UTC(2024, 2, 15, 13, 22, 9) });
  const service = await startInvoiceServiceSimulator({ clock: simClock, issuers: [] });
  const secretFile = await writeSecret(dir.path, SECRET);
  const released: InvoiceRecord[] = [];
  const alarms: InvoiceAlarm[] = [];
  const journalPath = join(dir.path, "invoices.sqlite");
  let settings: IssuerSettings = {
    issuerName: ISSUER,
    secretFile,
    notificationTokenFile: await writeToken(dir.path),
    listen: "127.0.0.1:0",
    publicUrl: "https://kiosk.example/glase/notify",
    detailsBaseUrl: options.detailsBaseUrl ?? service.url,
  };
  const pair: Pair = {
    dir: dir.path,
    service,
    simClock,
    get settings() {
      return settings;
    },
    journalPath,
    released,
    alarms,
    agent: undefined as unknown as InvoiceIssuer,
    async openAgent(o = {}) {
      pair.agent = await openInvoiceIssuer(
        { ...settings, ...(o.detailsBaseUrl ? { detailsBaseUrl: o.detailsBaseUrl } : {}) },
        {
          journalPath,
          clock: o.clock ?? options.agentClock,
          printer: o.printer ?? options.printer,
          release: o.release ?? (async (i) => void released.push(i)),
          ...(o.endpointLimits ? { endpointLimits: o.endpointLimits } : {}),
          onAlarm: (a) => alarms.push(a),
          backoff: { baseMs: 1_000, maxMs: 60_000 },
          receiptHeader: { stationName: "Example Wash", terminalId: "kiosk-1" },
          log: silentLog,
        },
      );
      // Later openings reuse the port, as a restarted daemon does.
      settings = { ...settings, listen: `127.0.0.1:${new URL(pair.agent.endpointUrl).port}` };
      return pair.agent;
    },
    async close() {
      await pair.agent?.close().catch(() => undefined);
      await service.close();
      await dir.remove();
    },
  };
  await pair.openAgent();
  service.sim.provisionIssuer({ name: ISSUER, secret: SECRET, notificationUrl: pair.agent.endpointUrl });
  return pair;
}

export async function payQr(service: StandaloneInvoiceService, qr: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${service.url}/__sim/invoice/pay`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ qr }) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
