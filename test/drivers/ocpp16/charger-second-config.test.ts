// chargerSecondMs scales every rated-power bound on the bills (review 12n #4): the config check
// refuses a figure other than 1000 on an entry of real chargers, and accepts it where the entry
// says its chargers are simulated (virtual:, or simulatedChargers: true for a bench's external fleet).
import { expect, it } from "vitest";
import { ocpp16EntrySchema } from "../../../drivers/ocpp16/module.ts";

const entry = (extra: Record<string, unknown>) => ({
  id: "chargers",
  driver: "ocpp16",
  listen: { host: "192.168.10.2", port: 9220, path: "/ocpp" },
  currency: "SEK",
  grades: [{ id: "AC22", name: "AC 22 kW", unitPriceMinor: 349, vatRatePercent: 25 }],
  chargers: [{ id: "CP-1", maxPowerW: 22_000, connectors: [{ connectorId: 1, point: 1 }] }],
  ...extra,
});

it("refuses chargerSecondMs other than 1000 on real chargers, naming the key", () => {
  for (const chargerSecondMs of [0.1, 1, 50, 999]) {
    const r = ocpp16EntrySchema.safeParse(entry({ chargerSecondMs }));
    expect(r.success, String(chargerSecondMs)).toBe(false);
    expect(r.error!.issues.map((i) => i.path)).toEqual([["chargerSecondMs"]]);
    expect(r.error!.issues[0]!.message).toContain(`real chargers' seconds last 1000 ms; ${chargerSecondMs} would scale`);
  }
  expect(ocpp16EntrySchema.safeParse(entry({ chargerSecondMs: 1000 })).success).toBe(true);
  expect(ocpp16EntrySchema.safeParse(entry({})).success).toBe(true);
});

it("accepts it for a simulated station: virtual chargers, or an external simulated fleet", () => {
  expect(ocpp16EntrySchema.safeParse(entry({ chargerSecondMs: 50, simulatedChargers: true })).success).toBe(true);
  expect(ocpp16EntrySchema.safeParse(entry({ chargerSecondMs: 50, virtual: { secondMs: 50 } })).success).toBe(true);
  expect(ocpp16EntrySchema.safeParse(entry({ chargerSecondMs: 50, simulatedChargers: false })).success).toBe(false);
});
