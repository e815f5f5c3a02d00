// Review 12 (12th) — 07f8410 relaxes chargerSecondMs to any positive number (config.ts:99, was
// .int()) for the test rigs' "0.1 ms charger second". Nothing keeps it out of a production station:
// module.ts passes every key but id/driver/virtual to Ocpp16ConfigSchema, which has no rule tying a
// chargerSecondMs ≠ 1000 to `virtual:` (the only legitimate user: the twin sets it from
// virtual.secondMs), and the driver neither logs nor alarms it. powerScale = 1000 / chargerSecondMs
// (driver.ts:350) multiplies EVERY rated-power bound: at 0.1 a 22 kW connector is 220 MW on the
// agent's clock, so 07f8410's own meterStop bound — and the step rule, the progress caps, the
// overrun's growth check — are void. A station entry copied from a test rig, or `chargerSecondMs: 0.1`
// typed for "0.1 s", settles review 12l #1's zero-based/corrupted meterStop as is again, silently.
// Expected: a real (non-virtual) entry with chargerSecondMs ≠ 1000 is refused by the config check
// (or at the least alarmed); and with it refused, the inflated meterStop is not settled.
import { expect, it } from "vitest";
import { ocpp16EntrySchema } from "../../../../drivers/ocpp16/module.ts";
import { authorizeCmd, isEnd, isFault, openRig, testConfig } from "../helpers.ts";
import { bootAndPlugIn, handCharger, sample, startTransaction } from "../review12/hand.ts";

const entry = (chargerSecondMs: number) => ({
  id: "ev",
  driver: "ocpp16",
  listen: { host: "192.168.10.2", port: 9220, path: "/ocpp" },
  currency: "SEK",
  grades: [{ id: "AC22", name: "AC 22 kW", unitPriceMinor: 349, vatRatePercent: 25 }],
  chargers: [{ id: "CP-1", maxPowerW: 22_000, connectors: [{ connectorId: 1, point: 1 }] }],
  chargerSecondMs,
});

it("a production (non-virtual) OCPP entry with chargerSecondMs 0.1 does not pass the config check unnoticed", async () => {
  const parsed = ocpp16EntrySchema.safeParse(entry(0.1));
  // What that config does to money, if it passes: review 12l #1's meterStop on a 2 s, 10 Wh session.
  const rig = await openRig(testConfig({ chargerSecondMs: 0.1 }));
  const cp = await handCharger(`${rig.driver.url}/CP-1`);
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd());
  const { tx } = await startTransaction(cp);
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  await new Promise((r) => setTimeout(r, 1_000));
  await cp.call("MeterValues", sample(tx, 1005));
  await new Promise((r) => setTimeout(r, 1_000));
  await cp.call("MeterValues", sample(tx, 1010));
  const endP = rig.events.waitFor(isEnd, 5_000);
  await cp.call("StopTransaction", { transactionId: tx, meterStop: 1000 + 50_000, timestamp: new Date().toISOString(), reason: "Local" });
  const end = (await endP) as { milli: number; amountMinor: number };
  const alarm = rig.events.events.find((e) => isFault(e) && e.code.startsWith("OCPP_"));
  console.log(`review12n chargerSecondMs 0.1 on a real entry: config check ${parsed.success ? "ACCEPTED" : `refused (${parsed.error.issues.map((i) => i.message).join("; ")})`}; a 2 s session with samples of 10 Wh and meterStop +50000 settles ${end.milli} Wh / ${end.amountMinor} öre; OCPP alarm ${alarm && isFault(alarm) ? alarm.code : "none"}`);
  expect(parsed.success).toBe(false);
  cp.close();
}, 15_000);
