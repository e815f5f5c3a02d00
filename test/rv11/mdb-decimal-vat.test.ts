// Review 2 of issue 11: multi-rate VAT at a Finnish station (fi is a supported locale): the
// standard rate is 25.5 % (since 2024-09-01), food 13.5 % (2026). A point's vatRatePercent takes
// decimals (agent/config/schema.ts:97), the receipt and export compute them (vatIncluded/vatOf),
// but a vending machine's product table refuses them: drivers/mdb/config.ts:8 is .int().
import { describe, expect, it } from "vitest";
import { mdbEntrySchema } from "../../drivers/mdb/driver.ts";

describe("MDB product VAT rates", () => {
  it("accepts 25.5 and 13.5 (Finland)", () => {
    const r = mdbEntrySchema.safeParse({ id: "vend", driver: "mdb", point: 8, currency: "EUR", link: { kind: "tcp", host: "127.0.0.1", port: 9 }, products: { "12": { description: "Cola", taxRatePercent: 13.5 }, "14": { description: "Charger cable", taxRatePercent: 25.5 } } });
    expect(r.success, JSON.stringify(r.error?.issues)).toBe(true);
  });
});
