// Review 13b #3 (MEDIUM): commit 6bacdd5 made OCPP_RATING_UNSET the per-session record of a bill
// the agent could not check ("compare with the charger's own transaction record and refund what it
// did not deliver (`ctl refund`)") — a customer possibly charged up to the whole reservation for
// energy never delivered. That is exactly what the journal's kept money alarms are for
// (agent/flows/kept-alarms.ts: "those that tell a technician to move money … without this a
// restart before the technician's visit (days apart on an unattended station) loses the only record
// that a customer paid for nothing"). But a driver's fault is routed to EngineAlarms.raise
// (agent/flows/dispenser-link.ts → agent/engine.ts deviceAlarm), memory only, and its code is not a
// kept one: any restart (an update, a crash, a power cut) before someone reads `ctl alarms` drops
// it — and a process that dies between the driver's durable end and the emit (session-ending.ts
// finish: write, then emit) never raises it at all. The same holds for OCPP_METER_DISAGREES
// ("collect the difference") and OCPP_STOP_IGNORED ("refund the difference").
import { expect, it } from "vitest";
import { isKeptAlarm } from "../../../../agent/alarms/book.ts";

it("an alarm that asks a technician to refund an OCPP session is kept across a restart", () => {
  const refundAlarms = ["device-fault-OCPP_RATING_UNSET", "device-fault-OCPP_STOP_IGNORED", "device-fault-OCPP_METER_DISAGREES"];
  expect(refundAlarms.filter((code) => !isKeptAlarm({ origin: "engine", code }))).toEqual([]);
});
