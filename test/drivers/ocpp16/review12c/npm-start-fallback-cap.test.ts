// Review 12c #2: the no-meterStop fallback is capped at maxPowerW × the session's REAL time, but
// `npm start` (config/simulated-station.yaml) runs its chargers at virtual: { powerW: 22000,
// secondMs: 20 } — 50× fast, i.e. 1.1 MW of real time — with maxPowerW left at its 22 kW default.
// A lost StopTransaction in the simulated station settles ~2 % of what was metered.
// Fixed: the virtual twin sets the driver's chargerSecondMs to the chargers' secondMs, and the
// power bounds are scaled by it. The driver config here is the one the twin makes of the yaml.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { parse } from "yaml";
import { systemScheduler } from "../../../../base/clock.ts";
import { createLogger } from "../../../../base/log.ts";
import { ocpp16EntrySchema } from "../../../../drivers/ocpp16/module.ts";
import { ocpp16Twin } from "../../../../simulator/twins/ocpp16.ts";
import { isEnd, isFault, openRig, pluggedAndAuthorized, testConfig, waitUntil } from "../helpers.ts";

it("npm start's virtual charger: a lost StopTransaction settles what was metered, not 1/50 of it", async () => {
  const yaml = parse(readFileSync(new URL("../../../../config/simulated-station.yaml", import.meta.url), "utf8")) as { devices: { controllers: Array<{ driver: string }> } };
  const entry = ocpp16EntrySchema.parse({ currency: "SEK", ...yaml.devices.controllers.find((c) => c.driver === "ocpp16") }); // the station gives the currency
  const twin = await ocpp16Twin.start(entry, { logger: createLogger("test.twin"), scheduler: systemScheduler, station: { points: [], flows: { reservationWaitS: 0, commitSafetyMarginS: 0 } } as never });
  const v = entry.virtual!;
  expect(twin.config.chargerSecondMs).toBe(v.secondMs);
  // As config/simulated-station.yaml: no maxPowerW on the charger (the 22 kW default).
  let rig = await openRig(testConfig({ chargerSecondMs: twin.config.chargerSecondMs }));
  const cp = await rig.chargePoint({ secondMs: v.secondMs, powerW: v.powerW });
  await pluggedAndAuthorized(rig, cp);
  await waitUntil(async () => ((await rig.driver.saleRecord("P1-flow-1"))?.milli ?? 0) >= 300, 10_000, "some energy stored");
  const metered = (await rig.driver.saleRecord("P1-flow-1"))!.milli;
  await cp.goOffline();
  cp.unplug(1);
  cp.dropQueuedMessages(); // the StopTransaction is gone
  rig = await rig.restart();
  await cp.goOnline();
  const end = await rig.events.waitFor(isEnd, 10_000, "end without StopTransaction");
  const fault = rig.events.events.find(isFault);
  expect({ milli: end.milli, fault: fault?.code }, fault?.message).toEqual({ milli: metered, fault: "OCPP_STOP_MISSING" });
  await twin.close();
});
