// Where Glase is: a real endpoint URL, or `embedded-simulator` — the Glase simulator started
// inside the agent on a loopback port, provisioned with the config's shop and terminals, with its
// auto customer confirming every invoice (the simulated station of `npm start`). The embedded
// simulator's state lives in memory: it is a demo, not a place for crash tests (those run the
// simulator in the test process so it survives the agent).
import { loadGlaseSimulator, type RunningGlaseSimulator, type SimClock } from "./simulation.ts";
import type { ResellerCredentials, TerminalCredentials } from "../../contracts/glase/types.ts";
import type { Logger } from "../../base/log.ts";
import type { AgentConfig } from "../config/schema.ts";

export interface GlaseBackend {
  readonly endpoint: string;
  readonly embedded?: RunningGlaseSimulator;
  close(): Promise<void>;
}

export async function openGlaseBackend(opts: {
  readonly config: AgentConfig;
  readonly terminals: ReadonlyMap<number, TerminalCredentials>;
  readonly reseller?: ResellerCredentials;
  readonly clock: SimClock;
  readonly logger: Logger;
}): Promise<GlaseBackend> {
  const { config } = opts;
  if (config.glase.endpoint !== "embedded-simulator") return { endpoint: config.glase.endpoint, close: async () => {} };
  // Imported only here: a real site never loads the simulator.
  const { parseProvisioning, startGlaseSimulator } = await loadGlaseSimulator();
  const shop = opts.reseller ?? { resellerId: "demo_shop", userId: "9900", password: "demo-pass" };
  const provision = parseProvisioning(
    {
      shops: [{ resellerId: shop.resellerId, userId: shop.userId, password: shop.password, currency: config.station.currency }],
      terminals: config.points.flatMap((p) => {
        const t = opts.terminals.get(p.id);
        return t ? [{ id: t.terminalId, password: t.password, name: `${config.station.name}, ${p.name ?? `point ${p.id}`}` }] : [];
      }),
    },
    "embedded simulator",
  );
  const confirmAfterMs = (config.simulation?.confirmDelayS ?? 2) * 1000;
  const embedded = await startGlaseSimulator({ port: 0, clock: opts.clock, provision, settings: { autoCustomer: { enabled: true, confirmAfterMs } } });
  opts.logger.info("embedded-simulator", { endpoint: embedded.endpoint, terminals: provision.terminals.length });
  return { endpoint: embedded.endpoint, embedded, close: () => embedded.close() };
}
