// Entry points of the simulated Invoice Service: mount it on the Glase simulator's HTTP server
// (same port, same SimClock, issuers from its provisioning file) or run it standalone in tests.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Scheduler } from "../../base/clock.ts";
import { sendJson } from "../../base/io/http-body.ts";
import { invoiceServiceRoutes, type RouteHandler } from "./routes.ts";
import { InvoiceServiceSim, type InvoiceServiceOptions, type IssuerProvision } from "./service.ts";

export { InvoiceServiceSim } from "./service.ts";
export type { IssuerProvision, PaidInvoice, PayerInfo, PayResult } from "./service.ts";
export { NOTIFICATION_DELAYS_S, NOTIFICATION_ATTEMPTS } from "./retry-schedule.ts";

/** The part of the running Glase simulator this module needs (structural, to avoid coupling). */
export interface MountTarget {
  readonly clock: Scheduler;
  addRoute(handler: RouteHandler): void;
  readonly sim?: { readonly provision?: { readonly issuers?: readonly IssuerProvision[] } };
}

export type MountOptions = Partial<Omit<InvoiceServiceOptions, "clock">>;

/** Adds the Invoice Service routes to a running Glase simulator; issuers default to its provisioning. */
export function mountInvoiceService(running: MountTarget, options: MountOptions = {}): InvoiceServiceSim {
  const sim = new InvoiceServiceSim({
    ...options,
    clock: running.clock,
    issuers: options.issuers ?? running.sim?.provision?.issuers ?? [],
  });
  running.addRoute(invoiceServiceRoutes(sim));
  return sim;
}

export interface StandaloneInvoiceService {
  readonly url: string;
  readonly sim: InvoiceServiceSim;
  close(): Promise<void>;
}

export async function startInvoiceServiceSimulator(
  options: InvoiceServiceOptions & { port?: number; host?: string },
): Promise<StandaloneInvoiceService> {
  const sim = new InvoiceServiceSim(options);
  const routes = invoiceServiceRoutes(sim);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    Promise.resolve(routes(req, res, url))
      .then((handled) => {
        if (!handled) sendJson(res, 404, { error: `no route ${url.pathname}` });
      })
      .catch((e: unknown) => sendJson(res, 500, { error: String(e) }));
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    sim,
    close: async () => {
      sim.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
