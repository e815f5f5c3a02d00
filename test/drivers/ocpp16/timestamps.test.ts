// A charger's timestamps (review 12m, observations): every form the schema's date-time accepts is
// read as the instant it stands for — an hour-only offset, a leap second, no offset (UTC), a space
// or lower-case separator — or refused by the validator like any other bad timestamp; a session's
// times are never NaN (which the store would keep as null) or the agent host's local time.
import { expect, it } from "vitest";
import { canonicalTimes, ocppTime } from "../../../drivers/ocpp16/timestamps.ts";
import { ocpp16Validator } from "../../../drivers/ocpp16/validation.ts";
import { authorizeCmd, isProgress, openRig, testConfig } from "./helpers.ts";
import { bootAndPlugIn, handCharger } from "./review12/hand.ts";

it("reads each form the schema accepts as its instant, and nothing else", () => {
  expect(ocppTime("2024-01-01T10:00:00+01")).toBe(Date.UTC(2024, 0, 1, 9));
  expect(ocppTime("2024-01-01T10:00:00-0130")).toBe(Date.UTC(2024, 0, 1, 11, 30));
  expect(ocppTime("2024-01-01T10:00:00+05:45")).toBe(Date.UTC(2024, 0, 1, 4, 15));
  expect(ocppTime("2016-12-31T23:59:60Z")).toBe(Date.UTC(2016, 11, 31, 23, 59, 59, 999));
  expect(ocppTime("2017-01-01T00:59:60+01:00"), "the same leap second in local time").toBe(Date.UTC(2016, 11, 31, 23, 59, 59, 999));
  expect(ocppTime("2024-01-01T10:00:00")).toBe(Date.UTC(2024, 0, 1, 10)); // UTC, whatever the host's zone
  expect(ocppTime("2024-01-01 10:00:00.5z")).toBe(Date.UTC(2024, 0, 1, 10, 0, 0, 500));
  expect(ocppTime("2024-01-01t10:00:00.123456Z")).toBe(Date.UTC(2024, 0, 1, 10, 0, 0, 123));
  expect(ocppTime("2024-01-01T10:00:00.999Z")).toBe(Date.UTC(2024, 0, 1, 10, 0, 0, 999));
  expect(ocppTime("2024-02-29T00:00:00Z")).toBe(Date.UTC(2024, 1, 29));
  expect(new Date(ocppTime("0050-06-01T00:00:00Z")).getUTCFullYear()).toBe(50);
  for (const bad of ["2023-02-29T00:00:00Z", "2024-04-31T00:00:00Z", "2024-01-01T10:00:00+24:00", "2024-01-01T10:00:00+01:60", "2024-01-01T24:00:00Z", "2024-01-01T10:61:00Z", "yesterday", "2024-01-01"]) {
    expect(ocppTime(bad), bad).toBeNaN();
  }
});

it("the validator lets a timestamp through only if the agent reads it", () => {
  const status = (timestamp: string) => {
    try {
      ocpp16Validator.validate("urn:StatusNotification.req", { connectorId: 1, errorCode: "NoError", status: "Available", timestamp });
      return "valid";
    } catch (err) {
      return (err as { rpcErrorCode?: string }).rpcErrorCode ?? "refused";
    }
  };
  expect(["2024-01-01T10:00:00+01", "2016-12-31T23:59:60Z", "2024-01-01T10:00:00", "2024-01-01 10:00:00z"].map(status)).toEqual(["valid", "valid", "valid", "valid"]);
  expect(["2024-01-01T10:00:00+25:00", "2024-01-01T10:00:00+01:99"].map(status)).toEqual(["FormatViolation", "FormatViolation"]);
});

it("rewrites a message's timestamps to the canonical form, leaving what needs nothing as it is", () => {
  const mv = { connectorId: 1, meterValue: [{ timestamp: "2016-12-31T23:59:60Z", sampledValue: [] }, { timestamp: "2024-01-01T10:00:00.000Z", sampledValue: [] }] };
  expect(canonicalTimes(mv)).toEqual({ connectorId: 1, meterValue: [{ timestamp: "2016-12-31T23:59:59.999Z", sampledValue: [] }, mv.meterValue[1]] });
  const stop = { transactionId: 1, meterStop: 5, timestamp: "2024-01-01T10:00:00Z" };
  expect(canonicalTimes(stop)).toBe(stop);
});

it("a StartTransaction stamped with an hour-only offset and a leap-second MeterValues: the session's times are the instants they stand for", async () => {
  const rig = await openRig(testConfig({ chargerSecondMs: 1000 }));
  const cp = await handCharger(`${rig.driver.url}/CP-1`);
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd());
  const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction")) as [number, string, string, { idTag: string }];
  // A charger whose clock reads 2016-12-31, one hour ahead of UTC.
  const { transactionId: tx } = (await cp.call("StartTransaction", { connectorId: 1, idTag: rs[3].idTag, meterStart: 1000, timestamp: "2017-01-01T00:59:00+01" })) as { transactionId: number };
  cp.status = "Charging";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
  await cp.call("MeterValues", { connectorId: 1, transactionId: tx, meterValue: [{ timestamp: "2017-01-01T00:59:60+01", sampledValue: [{ value: "1004", measurand: "Energy.Active.Import.Register", unit: "Wh" }] }] });
  await rig.events.waitFor((e) => isProgress(e) && e.milli === 4);
  const sale = ((await rig.store.list("sale/")).map((e) => e.value) as Array<{ meterStartAt?: unknown; meterLastAt?: unknown }>).at(-1)!;
  expect({ meterStartAt: sale.meterStartAt, meterLastAt: sale.meterLastAt }).toEqual({ meterStartAt: Date.UTC(2016, 11, 31, 23, 59), meterLastAt: Date.UTC(2016, 11, 31, 23, 59, 59, 999) });
  cp.close();
}, 20_000);
