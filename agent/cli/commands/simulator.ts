// `glase-agent simulator`: runs the embedded Glase simulator until SIGINT/SIGTERM.
// The simulator modules are imported on use, so other commands (and --help) do not load them,
// and the provisioning validator only when a file is given.
import { AgentError } from "../../../base/errors.ts";
import { parseOptions, type Command } from "../command.ts";
import { loadGlaseProvisioning, loadGlaseSimulatorServer, loadInvoiceService } from "../../daemon/simulation.ts";

const USAGE = `Usage: glase-agent simulator [--port N] [--host H] [--provision FILE] [--auto-customer MS] [--profile default|strict]

Runs the embedded Glase SOAP simulator (contract §1–§6) with its /__sim/ control surface
(docs/simulator.md) and the Invoice Service of §7 (docs/invoice-service.md) until Ctrl-C or
SIGTERM.

Options:
  --port N            TCP port (default 8913, the Java samples' port; 0 = any free port)
  --host H            address to listen on (default 127.0.0.1)
  --provision FILE    shops, terminals, tokens, settings (YAML or JSON; see
                      config/simulator-provision.example.yaml). Default: shop reseller/9900/2009,
                      terminals 0460000300002010 and 0460000100001002 (password 2009)
  --auto-customer MS  a simulated customer scans and confirms every new invoice after MS ms
  --profile strict    the strictest reading of the contract (docs/simulator.md "Strict profile"):
                      ambiguous faults are applied before their answer is lost, a PAID reached by
                      a commit is reversed when not read in 20 s, updateInvoice must resend the
                      invoice as sent, reservations lapse exactly at commitReservationTimeout
  -h, --help          this text`;

function intOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new AgentError("INPUT_INVALID", `--${name} must be an integer from ${min} to ${max}, got '${value}'`);
  return n;
}

export const simulatorCommand: Command = {
  name: "simulator",
  usage: USAGE,
  async run(argv) {
    const { values } = parseOptions(argv, {
      port: { type: "string" },
      host: { type: "string" },
      provision: { type: "string" },
      "auto-customer": { type: "string" },
      profile: { type: "string" },
    });
    if (values.help) {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    // Handlers first: a signal arriving while starting (or a second one while closing) must not
    // kill the process with the default action.
    let onSignal = () => {};
    const stopSignal = new Promise<void>((resolve) => (onSignal = () => resolve()));
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
      const port = intOption(values.port, "port", 0, 65535) ?? 8913;
      const autoMs = intOption(values["auto-customer"], "auto-customer", 0, 86_400_000);
      const profile = values.profile;
      if (profile !== undefined && profile !== "default" && profile !== "strict") {
        throw new AgentError("INPUT_INVALID", `--profile must be default or strict, got '${profile}'`);
      }
      const provision = values.provision ? (await loadGlaseProvisioning()).loadProvisioning(values.provision) : undefined;
      const { startGlaseSimulator } = await loadGlaseSimulatorServer();
      const running = await startGlaseSimulator({
        port,
        host: values.host ?? "127.0.0.1",
        provision,
        settings: {
          ...(autoMs !== undefined ? { autoCustomer: { enabled: true, confirmAfterMs: autoMs } } : {}),
          ...(profile !== undefined ? { profile } : {}),
        },
      });
      // The Invoice Service (§7) lives on the same server, issuers from the provisioning file.
      const { mountInvoiceService } = await loadInvoiceService();
      const invoiceService = mountInvoiceService(running);
      process.stdout.write(
        [
          `Glase simulator listening on ${running.url}${running.sim.settings.profile === "strict" ? " (strict profile)" : ""}`,
          `  endpoint  ${running.endpoint}`,
          `  WSDL      ${running.endpoint}?wsdl`,
          `  legacy    ${running.url}/extclientproxy/service`,
          `  control   ${running.url}/__sim/state (see docs/simulator.md)`,
          `  invoices  ${running.url}/api/invoice/{id}?issuer=NAME, ${running.url}/__sim/invoice/pay (issuers: ${invoiceService.issuerNames().join(", ") || "none provisioned"})`,
          "",
        ].join("\n"),
      );
      await stopSignal;
      invoiceService.close();
      await running.close();
      process.stdout.write("Glase simulator stopped\n");
      return 0;
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  },
};
