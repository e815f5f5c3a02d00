// jsonPTS framing and decoding, strictly: every answer packet is matched to its request packet by
// Id, refusals are typed by their numeric Code, and anything malformed — over the wire from the
// virtual PTS-2 or handed to the decoders directly — is a DEVICE_PROTOCOL error naming what was
// wrong, counted, and survived: the driver keeps polling and the next customer is still seen.
import { describe, expect, it } from "vitest";
import { isAgentError } from "../../../agent/errors.ts";
import { decodePumpStatus } from "../../../drivers/pts2/decode-status.ts";
import { decodeTransactionInformation } from "../../../drivers/pts2/decode-config.ts";
import { PtsPacketError } from "../../../drivers/pts2/errors.ts";
import { decodeResponse } from "../../../drivers/pts2/packets.ts";
import type { VirtualPts2Fault } from "../../../simulator/devices/virtual-pts2.ts";
import { closeAfterEach, openDriver, startTwin, waitUntil } from "./helpers.ts";

const cleanup = closeAfterEach();
const sent = [
  { Id: 7, Type: "PumpGetStatus", Data: { Pump: 1 } },
  { Id: 8, Type: "PumpStop", Data: { Pump: 1 } },
];
const body = (packets: unknown[], protocol = "jsonPTS") => JSON.stringify({ Protocol: protocol, Packets: packets });

describe("decodeResponse", () => {
  it("matches packets by Id, whatever their order, and counts strays", () => {
    const r = decodeResponse(body([{ Id: 8, Type: "PumpStop", Message: "OK" }, { Id: 99, Type: "PumpIdleStatus", Data: {} }, { Id: 7, Type: "PumpIdleStatus", Data: { Pump: 1 } }]), sent);
    expect(r.unexpected).toBe(1);
    expect(r.results.get(7)).toMatchObject({ ok: true, type: "PumpIdleStatus", data: { Pump: 1 } });
    expect(r.results.get(8)).toMatchObject({ ok: true, type: "PumpStop" });
  });

  it("types refusals by Code; older firmwares' string Error and Message-only refusals too", () => {
    const r = decodeResponse(body([{ Id: 7, Type: "PumpGetStatus", Error: true, Code: 20, Message: "JSONPTS_ERROR_PUMP_NUMBER_OUT_OF_RANGE" }, { Id: 8, Error: "true", Message: "JSONPTS_ERROR_NO_PERMISSIONS" }]), sent);
    const a = r.results.get(7)!;
    const b = r.results.get(8)!;
    expect(!a.ok && a.error).toBeInstanceOf(PtsPacketError);
    expect(!a.ok && a.error).toMatchObject({ code: "DEVICE_REJECTED", ptsCode: 20, packetType: "PumpGetStatus" });
    expect(!b.ok && b.error).toMatchObject({ ptsCode: 6, packetType: "PumpStop" });
  });

  it("a confirmation may come without Type; a wrong Type, a missing packet, a non-object Data fail that packet only", () => {
    const ok = decodeResponse(body([{ Id: 8 }, { Id: 7, Type: "PumpFillingStatus", Data: { Pump: 1 } }]), sent);
    expect(ok.results.get(8)).toMatchObject({ ok: true });
    const wrong = decodeResponse(body([{ Id: 7, Type: "FuelGradesConfiguration", Data: {} }, { Id: 8, Type: "PumpAuthorize" }]), sent);
    for (const id of [7, 8]) expect(wrong.results.get(id)).toMatchObject({ ok: false, error: { code: "DEVICE_PROTOCOL" } });
    const missing = decodeResponse(body([{ Id: 7, Type: "PumpIdleStatus", Data: "x" }]), sent);
    expect(missing.results.get(7)).toMatchObject({ ok: false, error: { code: "DEVICE_PROTOCOL" } });
    expect(missing.results.get(8)).toMatchObject({ ok: false, error: { code: "DEVICE_PROTOCOL", context: { packetType: "PumpStop" } } });
  });

  it.each([
    ["not JSON", "<html>busy</html>"],
    ["not an object", "[1,2]"],
    ["another protocol", body([], "jsonXYZ")],
    ["no Packets", JSON.stringify({ Protocol: "jsonPTS" })],
  ])("refuses an answer that is %s as a whole", (_what, text) => {
    expect(() => decodeResponse(text, sent)).toThrow(expect.objectContaining({ code: "DEVICE_PROTOCOL" }));
  });
});

describe("status and transaction decoding", () => {
  it("reads the idle nozzle from Nozzle or, on older firmwares, NozzleUp; money and volume in agent units", () => {
    expect(decodePumpStatus("PumpIdleStatus", { Pump: 3, NozzleUp: 2, Request: "", LastTransaction: 12 })).toEqual({ kind: "idle", pump: 3, nozzleUp: 2, request: "", lastTransaction: 12 });
    expect(decodePumpStatus("PumpFillingStatus", { Pump: 1, Nozzle: 1, FuelGradeId: 1, Volume: 5.23, Price: 290.6, Amount: 1519.84, Transaction: 9 })).toEqual({
      kind: "filling", pump: 1, nozzle: 1, fuelGradeId: 1, milli: 5230, priceMinor: 29060, amountMinor: 151984, transaction: 9,
    });
    expect(decodePumpStatus("PumpTotals", { Pump: 1 })).toEqual({ kind: "other", pump: 1, type: "PumpTotals" });
  });

  it.each([
    [{ Volume: -1 }, "PumpFillingStatus.Volume"],
    [{ Amount: "lots" }, "PumpFillingStatus.Amount"],
    [{ Amount: 1.005 }, "PumpFillingStatus.Amount"], // not a whole number of öre: never rounded
    [{ Transaction: 1.5 }, "PumpFillingStatus.Transaction"],
    [{ Pump: undefined }, "PumpFillingStatus.Pump"],
  ])("names the bad field %j", (patch, field) => {
    const data = { Pump: 1, Nozzle: 1, FuelGradeId: 1, Volume: 1, Price: 18.99, Amount: 18.99, Transaction: 1, ...patch };
    try {
      decodePumpStatus("PumpFillingStatus", data);
      expect.unreachable();
    } catch (e) {
      expect(isAgentError(e, "DEVICE_PROTOCOL") && e.context.field).toBe(field);
    }
  });

  it("transaction states, including the firmware's 'Not found'", () => {
    expect(decodeTransactionInformation({ Pump: 1, Transaction: 5, State: "Not found" }).state).toBe("NotFound");
    expect(decodeTransactionInformation({ Pump: 1, Transaction: 5, State: "EndOfTransaction", Volume: 2, Amount: 37.98, Price: 18.99, Nozzle: 1, FuelGradeId: 1 })).toMatchObject({ milli: 2000, amountMinor: 3798 });
    expect(() => decodeTransactionInformation({ Pump: 1, Transaction: 5, State: "Exploded" })).toThrow(expect.objectContaining({ code: "DEVICE_PROTOCOL" }));
  });
});

describe("malformed and unexpected answers over the wire", () => {
  const faults: Array<[VirtualPts2Fault, "unreadableAnswers" | "unexpectedPackets" | "badPackets" | "badStatuses" | "failedRequests"]> = [
    [{ type: "garbage" }, "unreadableAnswers"],
    [{ type: "wrong-protocol" }, "unreadableAnswers"],
    [{ type: "wrong-id" }, "unexpectedPackets"],
    [{ type: "extra-packet" }, "unexpectedPackets"],
    [{ type: "missing-packet" }, "badPackets"],
    [{ type: "wrong-type" }, "badPackets"],
    [{ type: "bad-number" }, "badStatuses"],
    [{ type: "http-status", status: 500 }, "failedRequests"],
    [{ type: "drop-answer" }, "failedRequests"],
  ];
  it.each(faults)("survives %j (counted in %s) and still sees the next customer", async (fault, counter) => {
    const twin = await startTwin();
    const { driver, events } = await openDriver(twin);
    cleanup(() => driver.close(), () => twin.close());
    const before = driver.stats()[counter];
    twin.inject({ packetType: "PumpGetStatus", ...fault });
    await waitUntil(() => driver.stats()[counter] > before, 5000, counter);
    twin.liftNozzle(1, 1);
    expect(await events.waitFor((e) => e.type === "call" && e.point === 1)).toMatchObject({ gradeId: "95" });
  });

  it("a pump the controller does not know is a typed refusal (code 20) for that pump only", async () => {
    const twin = await startTwin({ pumps: 1 });
    const { driver, events } = await openDriver(twin);
    cleanup(() => driver.close(), () => twin.close());
    const refusal = await driver.exchange.request("PumpGetStatus", { Pump: 2 }).catch((e: unknown) => e);
    expect(refusal).toMatchObject({ name: "PtsPacketError", ptsCode: 20 });
    twin.liftNozzle(1, 1);
    await events.waitFor((e) => e.type === "call" && e.point === 1);
    expect(driver.stats().linkUp).toBe(true);
  });

  it("an unknown request type is answered JSONPTS_ERROR_NOT_FOUND, typed", async () => {
    const twin = await startTwin();
    const { driver } = await openDriver(twin);
    cleanup(() => driver.close(), () => twin.close());
    await expect(driver.exchange.request("PumpFlyToTheMoon", { Pump: 1 })).rejects.toMatchObject({ ptsCode: 1 });
  });
});

it("a poll of every pump is one HTTP request with one Id per packet", async () => {
  const twin = await startTwin({ pumps: 2 });
  const { driver } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());
  await waitUntil(() => driver.stats().polls >= 5, 5000, "five polls");
  const polls = twin.batches.filter((b) => b.includes("PumpGetStatus"));
  expect(polls.length).toBeGreaterThanOrEqual(4);
  for (const b of polls) expect(b).toEqual(["PumpGetStatus", "PumpGetStatus"]);
  const ids = twin.received.filter((p) => p.Type === "PumpGetStatus").map((p) => p.Id);
  expect(new Set(ids).size).toBe(ids.length); // every packet its own Id
});
