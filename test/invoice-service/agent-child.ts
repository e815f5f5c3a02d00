// A real agent issuer process for the restart tests: opens the issuer on the given journal and
// port, appends one JSON line per release to a file, prints READY, and runs until killed.
import { appendFileSync } from "node:fs";
import { openInvoiceIssuer } from "../../agent/invoice-service/issuer.ts";
import type { IssuerSettings } from "../../agent/invoice-service/settings.ts";

interface ChildConfig {
  readonly settings: IssuerSettings;
  readonly journalPath: string;
  readonly releaseLog: string;
}

const config = JSON.parse(process.argv[2]!) as ChildConfig;
const issuer = await openInvoiceIssuer(config.settings, {
  journalPath: config.journalPath,
  backoff: { baseMs: 200, maxMs: 2_000 },
  release: async (invoice) => {
    appendFileSync(config.releaseLog, `${JSON.stringify({ pid: process.pid, reference: invoice.reference, glaseInvoiceId: invoice.glaseInvoiceId })}\n`);
  },
});
process.stdout.write(`READY ${issuer.endpointUrl}\n`);
process.on("SIGTERM", () => {
  void issuer.close().then(() => process.exit(0));
});
