// The agent as an Invoice Service issuer: issues pay-by-invoice QR codes (journaled, printed when
// a printer is there), listens for Glase's notifications and settles them (settlement.ts).
// `openInvoiceIssuer` is what the daemon starts; `listInvoices` backs `glase-agent ctl invoices`.
import type { Scheduler } from "../../base/clock.ts";
import type { ReceiptPrinter } from "../../contracts/printer.ts";
import { readSecretFile } from "../config/secrets.ts";
import { createLogger, registerSecret, type Logger } from "../../base/log.ts";
import { createDetailsClient } from "./details-client.ts";
import { payloadOf, signInvoiceJwt } from "../../contracts/invoice-service/jwt.ts";
import { startNotificationEndpoint, type NotificationEndpointOptions } from "./notification-endpoint.ts";
import { invoiceQr } from "../../contracts/invoice-service/qr.ts";
import { invoiceSlip, printOutcome, type ReceiptHeader } from "./receipts.ts";
import { Settlement, type BackoffSettings, type InvoiceAlarm } from "./settlement.ts";
import { NOTIFICATION_TOKEN, notificationPathOf, notificationUrlOf, qrHostOf, resolveListen, type IssuerSettings } from "./settings.ts";
import { InvoiceStore, type InvoiceRecord, type NotificationCounts, type NotificationRecord } from "./store.ts";
import { AgentError } from "../../base/errors.ts";
import type { ListenRetry } from "./listener.ts";

export interface IssueRequest {
  readonly amountMinor: number;
  readonly currency: string;
  readonly description: string;
  readonly reference: string;
  /** Pay only once (JWT `o`). Default true: a kiosk sells one service per code. */
  readonly payOnce?: boolean;
}

export interface IssuerDeps {
  /** SQLite file of the issuer journal. */
  readonly journalPath: string;
  /** The release effect of a paid invoice; runs at most once per invoice. */
  readonly release: (invoice: InvoiceRecord) => Promise<void>;
  readonly printer?: ReceiptPrinter;
  readonly clock?: Scheduler;
  readonly onAlarm?: (alarm: InvoiceAlarm) => void;
  /** A condition alarm's cause is gone (the notification port is ours again): the alarm clears. */
  readonly onAlarmCleared?: (kind: InvoiceAlarm["kind"]) => void;
  readonly receiptHeader?: ReceiptHeader;
  /** Notification endpoint bounds (tests shrink them). */
  readonly endpointLimits?: NotificationEndpointOptions["limits"];
  /** Retry of a notification port held by someone else (default 1 s doubling to 60 s). */
  readonly listenRetry?: ListenRetry;
  /** Details fetch retry backoff (default 2 s doubling to 5 min). */
  readonly backoff?: BackoffSettings;
  readonly log?: Logger;
}

export interface InvoiceIssuer {
  /** Local URL of the notification endpoint, token included (port resolved when listen port is 0). */
  readonly endpointUrl: string;
  /** The URL to register at Glase: publicUrl with the token. */
  readonly notificationUrl: string;
  issue(request: IssueRequest): Promise<InvoiceRecord>;
  /** All issued invoices, oldest first; with a page, the newest `n` (`ctl invoices`). */
  listInvoices(page?: { readonly n: number; readonly since?: number; readonly cursor?: string }): Promise<InvoiceRecord[]>;
  listNotifications(): Promise<NotificationRecord[]>;
  /** Pending and alarmed notifications, newest first, at most `limit`. */
  openNotifications(limit?: number): Promise<NotificationRecord[]>;
  notificationCounts(): Promise<NotificationCounts>;
  /** The invoice paid with this ersReference (what a refund of it is checked against). */
  paymentByErsReference(ersReference: string): Promise<InvoiceRecord | undefined>;
  /** Resolves when no settlement pass is running. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const systemScheduler: Scheduler = {
  now: () => Date.now(),
  setTimer(delayMs, fn) {
    const t = setTimeout(fn, Math.min(Math.max(0, delayMs), 2 ** 31 - 1));
    return () => clearTimeout(t);
  },
};

/** The notification token from its file: a secret (masked in logs), checked for strength. */
export async function readNotificationToken(file: string): Promise<string> {
  const token = await readSecretFile(file, "invoiceService.notificationTokenFile", { followSymlinks: true });
  registerSecret(token);
  if (!NOTIFICATION_TOKEN.test(token)) {
    throw new AgentError(
      "CONFIG_INVALID",
      `invoiceService.notificationTokenFile ${file}: the token must be 32–128 letters, digits, '-' or '_' (make one with: od -An -N24 -tx1 /dev/urandom | tr -d ' \\n')`,
      { field: "invoiceService.notificationTokenFile", path: file },
    );
  }
  return token;
}

export async function openInvoiceIssuer(settings: IssuerSettings, deps: IssuerDeps): Promise<InvoiceIssuer> {
  const listen = resolveListen(settings);
  const secret = await readSecretFile(settings.secretFile, "invoiceService.secretFile", { followSymlinks: true });
  registerSecret(secret);
  const token = await readNotificationToken(settings.notificationTokenFile);
  const clock = deps.clock ?? systemScheduler;
  const log = deps.log ?? createLogger("invoice-service");
  const header = deps.receiptHeader ?? { stationName: settings.issuerName, terminalId: settings.issuerName };
  const store = await InvoiceStore.open(deps.journalPath);
  const settlement = new Settlement({
    store,
    clock,
    fetchDetails: createDetailsClient({ baseUrl: settings.detailsBaseUrl, issuerName: settings.issuerName, secret }),
    release: deps.release,
    onAlarm: deps.onAlarm ?? (() => undefined),
    printer: deps.printer,
    receiptHeader: header,
    backoff: deps.backoff ?? { baseMs: 2_000, maxMs: 5 * 60_000 },
    log,
  });
  try {
    for (const i of await store.markInterruptedReleases()) {
      settlement.raise({
        kind: "release-interrupted",
        detail: "the agent stopped while releasing; check whether the service was delivered",
        reference: i.reference,
        ...(i.glaseInvoiceId !== null ? { glaseInvoiceId: i.glaseInvoiceId } : {}),
      });
    }
    const endpoint = await startNotificationEndpoint({
      ...listen,
      path: notificationPathOf(listen.path, token),
      store,
      clock,
      log,
      ...(deps.endpointLimits ? { limits: deps.endpointLimits } : {}),
      ...(settings.trustedProxy !== undefined ? { trustedProxy: settings.trustedProxy } : {}),
      ...(listen.socketPath !== undefined ? { socketPath: listen.socketPath } : {}),
      ...(deps.listenRetry ? { listenRetry: deps.listenRetry } : {}),
      // A squatted port is an alarm and a retried bind, never a stopped Invoice Service (review 3 #4).
      onPortTaken: (detail) => {
        log.error("notification_port_taken", { detail });
        settlement.raise({ kind: "port-taken", detail });
      },
      onListening: () => {
        log.info("notification_port_recovered", { listen: settings.listen });
        // The invoice-port-taken alarm is a condition: it clears once the port is ours again
        // (the invoices issued meanwhile and the token are the technician's: docs/install.md §8).
        try {
          deps.onAlarmCleared?.("port-taken");
        } catch (e) {
          log.error("alarm_sink_failed", { error: e });
        }
      },
      onRecorded: (ids, source) => settlement.kick(ids, source),
      pendingFrom: (source) => settlement.pendingFrom(source),
    });
    settlement.kick(); // resume notifications journaled before a restart
    return {
      endpointUrl: endpoint.url,
      notificationUrl: notificationUrlOf(settings.publicUrl, token),
      async issue(request) {
        const claims = { ...request, payOnce: request.payOnce ?? true };
        const qr = invoiceQr(signInvoiceJwt(settings.issuerName, secret, payloadOf(claims)), qrHostOf(settings));
        const invoice = await store.insertInvoice({ ...claims, qr, issuedAt: clock.now() });
        log.info("invoice_issued", { reference: invoice.reference, amountMinor: invoice.amountMinor, currency: invoice.currency });
        const qrPrint = await printOutcome(deps.printer, invoiceSlip(invoice, header), log);
        await store.setQrPrint(invoice.id, qrPrint);
        return { ...invoice, qrPrint };
      },
      listInvoices: (page) => {
        if (!page) return store.listInvoices();
        if (page.cursor !== undefined && !/^\d{1,15}$/.test(page.cursor)) throw new AgentError("INPUT_INVALID", "cursor: the id of an invoice of the previous page");
        return store.listInvoices({ n: page.n, ...(page.since !== undefined ? { since: page.since } : {}), ...(page.cursor !== undefined ? { beforeId: Number(page.cursor) } : {}) });
      },
      listNotifications: () => store.listNotifications(),
      openNotifications: (limit = 20) => store.openNotifications(limit),
      notificationCounts: () => store.notificationCounts(),
      paymentByErsReference: (ers) => store.paidInvoiceByErsReference(ers),
      settled: () => settlement.settled(),
      async close() {
        await endpoint.close();
        await settlement.close();
        await store.close();
      },
    };
  } catch (e) {
    await settlement.close();
    await store.close();
    throw e;
  }
}
