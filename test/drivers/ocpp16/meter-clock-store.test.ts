// The meter clock bound survives a restart (review 12n #1): each lower bound is written in order,
// and a new runtime loads it as known since its start — before any stop it will send.
import { expect, it } from "vitest";
import { createLogger } from "../../../agent/log.ts";
import { MemoryDriverStore } from "../../../contracts/driver-store.ts";
import { chargerQueries, observeMeterClock, type ChargerRuntime } from "../../../drivers/ocpp16/charger-state.ts";
import { MeterClockStore } from "../../../drivers/ocpp16/meter-clock-store.ts";
import { Ocpp16ConfigSchema } from "../../../drivers/ocpp16/config.ts";
import { testConfig } from "./helpers.ts";

const runtime = (): ChargerRuntime => ({ config: Ocpp16ConfigSchema.parse(testConfig()).chargers[0]!, connectors: new Map(), reported: new Set(), synced: false, schemaProblems: new Set() });

it("a lowered bound is stored, and a restarted runtime knows it from its start", async () => {
  const store = new MemoryDriverStore();
  const log = createLogger("test.ocpp");
  const first = new MeterClockStore(store, log);
  const rt = runtime();
  // Live samples: 300 ms, then 40 ms after their stamps; a higher one lowers nothing.
  for (const [stamp, arrival, lowered] of [[1_000, 1_300, true], [2_000, 2_040, true], [3_000, 3_500, false]] as const) {
    expect(observeMeterClock(rt, stamp, arrival)).toBe(lowered);
    if (lowered) await first.save(rt);
  }
  await first.flushed();
  expect(await store.get("meter-clock/CP-1")).toBe(40);

  const again = runtime();
  await new MeterClockStore(store, log).load(new Map([["CP-1", again]]), 50_000);
  expect(chargerQueries(new Map([["CP-1", again]])).meterClockBound("CP-1")).toEqual({ leastMs: 40, since: 50_000 });
  // The charger's queue drained after the outage: a larger arrival − stamp raises nothing.
  expect(observeMeterClock(again, 10_000, 60_000)).toBe(false);
  expect(chargerQueries(new Map([["CP-1", again]])).meterClockBound("CP-1")).toEqual({ leastMs: 40, since: 50_000 });
});
