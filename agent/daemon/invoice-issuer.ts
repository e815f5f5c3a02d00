// The Invoice Service issuer side (agent/invoice-service/) in the daemon: started when the config
// has an `invoiceService` section. With the embedded simulator, the simulated Invoice Service is
// mounted on its port (issuer provisioned from the config) and is the default details URL.
// The release effect of a paid invoice is logged and shown on the watch stream; a kiosk that
// dispenses something hooks its command in here.
import type { InvoiceAlarm } from "../invoice-service/settlement.ts";
import { join } from "node:path";
import { AgentError } from "../../base/errors.ts";
import type { Logger } from "../../base/log.ts";
import type { InvoiceIssuer } from "../invoice-service/issuer.ts";
import { readSecretFile } from "../config/secrets.ts";
import type { AgentConfig } from "../config/schema.ts";
import type { ReceiptPrinter } from "../../contracts/printer.ts";
import type { GlaseBackend } from "./glase-backend.ts";
import { loadInvoiceService } from "./simulation.ts";

export async function startInvoiceIssuer(opts: {
  readonly config: AgentConfig;
  readonly stateDir: string;
  readonly glase: GlaseBackend;
  readonly printer?: ReceiptPrinter;
  readonly logger: Logger;
  /** Settlement alarms (into the station's alarm book). */
  readonly onAlarm?: (alarm: InvoiceAlarm) => void;
  /** Settlement alarms whose cause is gone (the notification port won back). */
  readonly onAlarmCleared?: (kind: InvoiceAlarm["kind"]) => void;
}): Promise<InvoiceIssuer | undefined> {
  const s = opts.config.invoiceService;
  if (!s) return undefined;
  let detailsBaseUrl = s.detailsBaseUrl;
  const { openInvoiceIssuer, readNotificationToken } = await import("../invoice-service/issuer.ts");
  if (opts.glase.embedded) {
    const { mountInvoiceService } = await loadInvoiceService();
    const { notificationUrlOf } = await import("../invoice-service/settings.ts");
    const secret = await readSecretFile(s.secretFile, "invoiceService.secretFile", { followSymlinks: true });
    const notificationUrl = notificationUrlOf(s.publicUrl, await readNotificationToken(s.notificationTokenFile));
    mountInvoiceService(opts.glase.embedded, { issuers: [{ name: s.issuerName, secret, notificationUrl }], scheduleScale: 1 / (opts.config.simulation?.timeScale ?? 1) });
    detailsBaseUrl ??= opts.glase.embedded.url;
  }
  if (!detailsBaseUrl) throw new AgentError("CONFIG_INVALID", "invoiceService.detailsBaseUrl: required with a real Glase endpoint", { path: "invoiceService.detailsBaseUrl" });
  const log = opts.logger;
  return openInvoiceIssuer(
    { issuerName: s.issuerName, secretFile: s.secretFile, notificationTokenFile: s.notificationTokenFile, listen: s.listen, publicUrl: s.publicUrl, detailsBaseUrl, ...(s.qrHost ? { qrHost: s.qrHost } : {}), ...(s.trustedProxy !== undefined ? { trustedProxy: s.trustedProxy } : {}) },
    {
      journalPath: join(opts.stateDir, "invoices.sqlite"),
      release: async (invoice) => log.info("invoice-service-released", { reference: invoice.reference, amountMinor: invoice.amountMinor, ersReference: invoice.ersReference }),
      ...(opts.printer ? { printer: opts.printer } : {}),
      receiptHeader: { stationName: opts.config.station.name, terminalId: s.issuerName, locale: opts.config.station.locale },
      log: log.child("invoice-service"),
      ...(opts.onAlarm ? { onAlarm: opts.onAlarm } : {}),
      ...(opts.onAlarmCleared ? { onAlarmCleared: opts.onAlarmCleared } : {}),
    },
  );
}
