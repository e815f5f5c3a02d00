// A driver store whose next sale write fails — at once, or once released (held, so a step can run
// while that write is on its way) — and a hand charger with a session charging on it.
import { MemoryDriverStore } from "../../contracts/driver-store.ts";
import { authorizeCmd, isCall, openRig, synced, testConfig } from "../drivers/ocpp16/helpers.ts";
import { handCharger } from "../drivers/ocpp16/review12/hand.ts";

/** The next write of a sale fails: at once, or once released (held, so a step can run while it is on its way). */
export class GatedStore extends MemoryDriverStore {
  private next?: { release: Promise<void> };
  held = false;
  release: () => void = () => undefined;
  failNextSale(opts: { hold?: boolean } = {}): void {
    this.next = { release: opts.hold ? new Promise<void>((r) => (this.release = r)) : Promise.resolve() };
  }
  override async put(key: string, value: unknown): Promise<void> {
    const next = this.next;
    if (next && key.startsWith("sale/")) {
      this.next = undefined;
      this.held = true;
      await next.release;
      throw Object.assign(new Error("SQLITE_BUSY: database is locked"), { code: "SQLITE_BUSY" });
    }
    return super.put(key, value);
  }
}

export async function charging(store: GatedStore) {
  const rig = await openRig(testConfig({ chargerSecondMs: 1000, maxSessionS: 3600 }), { store });
  const cp = await handCharger(`${rig.driver.url}/CP-1`, { trigger: false });
  await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
  await synced(rig);
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Preparing" });
  await rig.events.waitFor(isCall);
  await rig.driver.authorize(authorizeCmd({ limitMinor: 30_000 }));
  const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction")) as [number, string, string, { idTag: string }];
  const { transactionId: tx } = (await cp.call("StartTransaction", { connectorId: 1, idTag: rs[3].idTag, meterStart: 0, timestamp: new Date().toISOString() })) as { transactionId: number };
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  return { rig, cp, tx };
}

