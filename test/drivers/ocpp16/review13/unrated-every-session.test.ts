// Review 13 #3 (MEDIUM): a connector without maxPowerW — as config/ocpp-station.yaml shipped it —
// bills any meterStop up to the 1 MW ceiling (so up to the reservation), and OCPP_RATING_UNSET was
// raised once per charger and process: every later doubtful bill of that charger went untold.
// Now each such session is its own alarm, naming its transaction and figures (for a refund), and the
// shipped integrator config rates its charger.
// Sequence: a charger with no rating; two sessions, each meterStop − meterStart = 250 Wh in 5 s of
// the agent's time (above 2 × the assumed 22 kW = 72 Wh, below 2 × the 1 MW ceiling).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { parse } from "yaml";
import { systemScheduler, type Scheduler } from "../../../../base/clock.ts";
import { authorizeCmd, isCall, isEnd, isFault, openRig, testConfig } from "../helpers.ts";
import { bootAndPlugIn, handCharger } from "../review12/hand.ts";

/** The real timers, with the agent's clock stepped forward by hand (the session's 5 s pass at once). */
class SteppedClock implements Scheduler {
  offset = 0;
  now = () => systemScheduler.now() + this.offset;
  setTimer = (ms: number, fn: () => void) => systemScheduler.setTimer(ms, fn);
}

it("an unrated charger's doubtful bill is alarmed for every session, naming it", async () => {
  const clock = new SteppedClock();
  const rig = await openRig(testConfig({ chargerSecondMs: 1000, chargers: [{ id: "CP-1", connectors: [{ connectorId: 1, point: 1 }] }] }), { scheduler: clock });
  const cp = await handCharger(`${rig.driver.url}/CP-1`);
  await bootAndPlugIn(rig, cp);
  const ends: Array<{ tx: number; milli: number }> = [];
  for (const [k, flow] of ["P1-flow-1", "P1-flow-2"].entries()) {
    if (k > 0) {
      cp.status = "Preparing";
      const call = rig.events.waitFor((e) => isCall(e) && rig.events.events.filter(isCall).length === k + 1, 5_000, "the next call");
      await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Preparing" });
      await call;
    }
    await rig.driver.authorize(authorizeCmd({ transactionId: flow }));
    const isRemoteStart = (f: unknown[]) => f[2] === "RemoteStartTransaction";
    const rs = (await cp.waitFor((f) => isRemoteStart(f) && cp.received.filter(isRemoteStart).indexOf(f) === k)) as [number, string, string, { idTag: string }];
    const startedAt = clock.now();
    const { transactionId: tx } = (await cp.call("StartTransaction", { connectorId: 1, idTag: rs[3].idTag, meterStart: 1000, timestamp: new Date(startedAt).toISOString() })) as { transactionId: number };
    await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
    clock.offset += 5_000; // the session's 5 s, on the agent's clock and the charger's
    const endP = rig.events.waitFor((e) => isEnd(e) && e.transactionId === flow, 5_000, `the end of ${flow}`);
    await cp.call("StopTransaction", { transactionId: tx, meterStop: 1250, timestamp: new Date(clock.now()).toISOString(), reason: "EVDisconnected" });
    ends.push({ tx, milli: ((await endP) as { milli: number }).milli });
    cp.status = "Available";
    await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
  }
  // Settled as metered (a DC charger without a rating is never billed 0 Wh) …
  expect(ends.map((e) => e.milli)).toEqual([250, 250]);
  // … and each doubtful bill told, naming its transaction and flow.
  const unrated = rig.events.events.filter(isFault).filter((f) => f.code === "OCPP_RATING_UNSET");
  expect(unrated.map((f) => (f as { transactionId?: string }).transactionId)).toEqual(["P1-flow-1", "P1-flow-2"]);
  for (const [i, f] of unrated.entries()) expect(f.message).toContain(`transaction ${ends[i]!.tx}`);
  expect(unrated[0]!.message).toContain("250 Wh");
  cp.close();
}, 20_000);

it("the shipped integrator config rates its charger", async () => {
  const yaml = parse(await readFile(join(import.meta.dirname, "../../../../config/ocpp-station.yaml"), "utf8")) as { devices: { controllers: Array<{ chargers: Array<{ maxPowerW?: number; connectors: Array<{ maxPowerW?: number }> }> }> } };
  for (const c of yaml.devices.controllers) for (const ch of c.chargers) for (const k of ch.connectors) expect(k.maxPowerW ?? ch.maxPowerW).toBeGreaterThan(0);
});
