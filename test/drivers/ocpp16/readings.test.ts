// The pure readings of OCPP data: which sampled value is the import energy register (and in Wh,
// exactly), how connector states and stop reasons read for the flows, the flow's idTag.
import { expect, it } from "vitest";
import type { MeterValue } from "../../../drivers/ocpp16/messages.ts";
import { endReasonOf, energyRegister, idTagFor, pointStateOf } from "../../../drivers/ocpp16/readings.ts";

const at = (t: string, ...sampledValue: MeterValue["sampledValue"]): MeterValue => ({ timestamp: t, sampledValue });

it("reads the total import register in Wh from the newest meter value, skipping phases, signed data and other measurands", () => {
  expect(energyRegister([at("2026-01-01T10:00:00Z", { value: "1234" })])).toEqual({ wh: 1234, at: Date.parse("2026-01-01T10:00:00Z") });
  expect(energyRegister([at("2026-01-01T10:00:00Z", { value: "12.3456", unit: "kWh", measurand: "Energy.Active.Import.Register" })])?.wh).toBe(12346);
  expect(energyRegister([at("2026-01-01T10:00:00Z", { value: "0.0004", unit: "kWh" })])?.wh).toBe(0);
  expect(
    energyRegister([
      at(
        "2026-01-01T10:00:00Z",
        { value: "400", phase: "L1" },
        { value: "999", format: "SignedData" },
        { value: "7000", measurand: "Power.Active.Import", unit: "W" },
        { value: "5000", measurand: "Energy.Active.Export.Register" },
        { value: "1200" },
      ),
    ])?.wh,
  ).toBe(1200);
  expect(energyRegister([at("2026-01-01T10:00:05Z", { value: "2000" }), at("2026-01-01T10:00:00Z", { value: "1000" })])?.wh).toBe(2000);
  expect(energyRegister([at("2026-01-01T10:00:00Z", { value: "-5" }, { value: "1e3" }, { value: "12", unit: "varh" })])).toBeUndefined();
  expect(energyRegister([])).toBeUndefined();
});

it("maps connector states and stop reasons for the payment flows", () => {
  expect(pointStateOf("Preparing")).toBe("calling");
  expect(pointStateOf("SuspendedEV")).toBe("delivering");
  expect(pointStateOf("Faulted")).toBe("fault");
  expect(pointStateOf("Unavailable")).toBe("offline");
  expect(endReasonOf("EVDisconnected", undefined)).toBe("nozzle-down");
  expect(endReasonOf(undefined, undefined)).toBe("stopped"); // absent = Local
  expect(endReasonOf("PowerLoss", undefined)).toBe("fault");
  expect(endReasonOf("Remote", "limit")).toBe("limit"); // the agent's own cause wins
  expect(endReasonOf("Remote", "session-time")).toBe("stopped");
});

it("the idTag is the flow id when it fits CiString20, else a stable digest", () => {
  expect(idTagFor("P1-mx4jqu1u01pr")).toBe("P1-mx4jqu1u01pr");
  const long = idTagFor("P1000-a-very-long-flow-identifier");
  expect(long).toMatch(/^G[0-9a-f]{19}$/);
  expect(idTagFor("P1000-a-very-long-flow-identifier")).toBe(long);
  expect(idTagFor("with space")).toMatch(/^G/);
});
