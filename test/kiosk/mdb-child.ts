// Crash-test child for MDB vends: the real engine + engine-backed kiosk host on a real journal
// file, the MDB cashless driver on a real drivers.sqlite (two SQLite files that must agree), its
// link over TCP to the virtual vending machine in the parent (which survives the kill), Glase →
// the simulator in the parent. KILL_AT=<label>: SIGKILL right after that step of the vend:
//   approved   the vend record `approved` is durable in drivers.sqlite (C,VEND not written yet)
//   vend-sent  C,VEND was handed to the link (the machine has the approval)
//   result     the machine's VEND,SUCCESS is durable as the record's result (not reported yet)
//   reported   the host journaled the sale `delivered` (the POS flow's receipt not yet written)
// Lines on stdout: READY (link up), SALE <saleId> <state>, KILLING <label>.
import { configureLogging, createLogger } from "../../base/log.ts";
import { systemScheduler } from "../../base/clock.ts";
import { EngineKioskHost } from "../../agent/kiosk/engine-host.ts";
import { openDriverStores } from "../../agent/journal/driver-store.ts";
import type { DriverStore } from "../../contracts/driver-store.ts";
import type { KioskSale } from "../../contracts/kiosk.ts";
import { mdbConnector, type MdbConnector } from "../../drivers/mdb/link.ts";
import { openMdbCashless } from "../../drivers/mdb/module.ts";
import { openStation } from "../flows/harness/station.ts";
import { KIOSK_POINT, kioskPoints } from "./engine-host-rig.ts";

const env = process.env;
const killAt = env.KILL_AT;
const out = (line: string) => process.stdout.write(`${line}\n`);
configureLogging({ level: "error", sink: { write: (l) => process.stderr.write(l) } });
const kill = (label: string) => {
  if (label !== killAt) return;
  out(`KILLING ${label}`);
  process.kill(process.pid, "SIGKILL");
};

let host: EngineKioskHost | undefined;
const station = await openStation({
  journalPath: env.JOURNAL_PATH!,
  endpoint: env.GLASE_ENDPOINT!,
  points: kioskPoints(),
  release: (point, amount, flowId) => host!.release(point, amount, flowId),
  settings: { posWindowMs: 4000, posExtraWindows: 1 },
});
host = new EngineKioskHost({ points: [KIOSK_POINT], engine: () => station.engine, events$: station.engine.events$, journal: station.journal, scheduler: systemScheduler, logger: createLogger("mdb-child"), releaseTimeoutMs: 60_000 });

const stores = await openDriverStores(env.DRIVERS_PATH!);
const real = stores.scoped("vend-1");
const store: DriverStore = {
  get: (k) => real.get(k),
  list: (p) => real.list(p),
  delete: (k) => real.delete(k),
  async put(k, v) {
    await real.put(k, v);
    const phase = (v as { phase?: string } | undefined)?.phase;
    if (phase === "approved" && (v as { approveSent?: boolean }).approveSent === true) kill("approved");
    if (phase === "result") kill("result");
  },
};
const tcp = mdbConnector({ kind: "tcp", host: "127.0.0.1", port: Number(env.VMC_PORT) });
const connector: MdbConnector = async (handlers) => {
  const conn = await tcp(handlers);
  return {
    description: conn.description,
    close: () => conn.close(),
    async write(data) {
      await conn.write(data);
      if (data.startsWith("C,VEND,")) kill("vend-sent");
    },
  };
};

host.subscribe((e) => {
  out(`SALE ${e.sale.saleId} ${e.sale.state}`);
  if (e.sale.state === "delivered") kill("reported");
});
await host.load();
await station.engine.start();
await host.resume();
const driver = await openMdbCashless(
  { id: "vend-1", link: { kind: "tcp", host: "127.0.0.1", port: Number(env.VMC_PORT) }, point: 9, currency: "SEK", paymentTimeoutMs: 30_000, reconnectInitialMs: 50, reconnectMaxMs: 200 },
  { host, store, logger: createLogger("mdb-child"), scheduler: systemScheduler },
  { connector, openTimeoutMs: 5000 },
);
await driver.idle();
for (const r of await station.journal.flows({ kind: "kiosk-sale", limit: 100 })) {
  const s = await host.getSale((r.state as { sale: KioskSale }).sale.saleId);
  if (s) out(`SALE ${s.saleId} ${s.state}`);
}
out(driver.stats().linkUp ? "READY" : "NO-LINK");
