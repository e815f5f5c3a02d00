// Review 13c C2b (MEDIUM): a charger's OCPP_LATE_STOP was kept only if the engine still listed its
// flow among the last 200 finished flows (RECENT_FLOWS, station-wide: pumps, kiosks, chargers). A
// charger offline while 200 other flows finished had its late stop raised without a flow — never
// kept, lost at a restart. The driver now names the flow from its own durable session book, and
// the engine keeps a fault of a flow that book names; a line board still cannot name flows (review9n).
// Real OCPP driver over a loopback WebSocket (hand charger): the session is settled as
// stop-missing, then its StopTransaction comes late; the engine's routing no longer knows the flow.
import { expect, it } from "vitest";
import { createLogger } from "../../base/log.ts";
import { routeDispenserEvent } from "../../agent/flows/dispenser-link.ts";
import { isEnd, isFault } from "../drivers/ocpp16/helpers.ts";
import { charging, GatedStore } from "./gated-store.ts";

it("a late stop of a flow the engine has forgotten (200 flows later) is still that flow's alarm", async () => {
  const { rig, cp, tx } = await charging(new GatedStore());
  const alarms: Array<{ flowId?: string; code: string }> = [];
  rig.driver.onEvent((e) =>
    routeDispenserEvent(e, {
      customerCall: () => {},
      byTransaction: () => undefined, // the flow has finished
      activeOn: () => undefined,
      orphanSale: () => {},
      running: () => [],
      finishedFlow: () => false, // …and 200 other flows finished since: the engine no longer lists it
      deviceAlarm: (a) => void alarms.push(a),
      logger: createLogger("r13c"),
    }),
  );
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Finishing" }); // no StopTransaction: settled as stop-missing
  await rig.events.waitFor(isEnd, 5_000);
  await cp.call("StopTransaction", { transactionId: tx, meterStop: 7, timestamp: new Date().toISOString(), reason: "Local" });
  await rig.events.waitFor((e) => isFault(e) && e.code === "OCPP_LATE_STOP", 5_000);
  cp.close();
  expect(alarms.filter((a) => a.code === "device-fault-OCPP_LATE_STOP")).toMatchObject([{ flowId: "P1-flow-1" }]); // fails before: no flowId, never kept
  expect(alarms.filter((a) => a.code === "device-fault-OCPP_STOP_MISSING")).toMatchObject([{ flowId: "P1-flow-1" }]);
}, 20_000);
