// devices.controllers (config version 3): a v2 file with its one devices.dispenser still loads
// (migrated to one `line` controller driving every pump and charger point), every controller
// entry is validated by its driver's schema with problems at their paths, and the points are
// checked across controllers — one owner per point, no pump/charger point without one, an OCPP
// session that cannot settle before its reservation lapses refused.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseConfig } from "../../agent/config/load.ts";
import { controllersOf } from "../../agent/config/controllers.ts";
import { isAgentError } from "../../agent/errors.ts";

async function doc(file: string): Promise<Record<string, any>> {
  return parse(await readFile(file, "utf8"));
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (isAgentError(e, "CONFIG_INVALID")) return e.context.problems as string[];
    throw e;
  }
  throw new Error("expected CONFIG_INVALID");
}

/** The simulated station as it was written for version 2 (one virtual board for all points). */
async function v2Station(): Promise<Record<string, any>> {
  const d = await doc("config/simulated-station.yaml");
  d.version = 2;
  d.points = d.points.filter((p: { id: number }) => p.id !== 6);
  d.devices.dispenser = {
    kind: "virtual",
    flowMilliPerSecond: 2000,
    grades: [...d.devices.controllers[0].grades, { id: "AC22", name: "AC 22 kW", unit: "kWh", unitPriceMinor: 450, vatRatePercent: 25 }],
  };
  delete d.devices.controllers;
  return d;
}

describe("config version 3: devices.controllers", () => {
  it("a v2 file loads: devices.dispenser becomes one line controller driving every fuel and ev point", async () => {
    const old = await v2Station();
    const loaded = parseConfig(old);
    expect(loaded.config.version).toBe(3);
    expect(loaded.migrations).toEqual([expect.stringMatching(/^v2→v3: devices\.dispenser→devices\.controllers\[0\]/)]);
    expect(loaded.config.devices.controllers).toEqual([
      { id: "dispenser", driver: "line", virtual: { flowMilliPerSecond: 2000 }, grades: old.devices.dispenser.grades, points: [1, 2, 3, 4, 5] },
    ]);
    expect(controllersOf(loaded.config).map((c) => [c.module.driver, c.points])).toEqual([["line", [1, 2, 3, 4, 5]]]);
    expect(old.devices.dispenser).toBeDefined(); // the input document is not mutated
  });

  it("a v2 serial board keeps its line settings under link", async () => {
    const old = await v2Station();
    old.devices.dispenser = { kind: "serial", path: "/dev/glase-dispenser", baudRate: 9600, parity: "even" };
    const c = parseConfig(old).config.devices.controllers[0]!;
    expect(c).toEqual({ id: "dispenser", driver: "line", link: { kind: "serial", path: "/dev/glase-dispenser", baudRate: 9600, parity: "even" }, points: [1, 2, 3, 4, 5] });
    expect(controllersOf(parseConfig(old).config)[0]!.config).toMatchObject({ link: { kind: "serial", dataBits: 8, stopBits: 1, parity: "even" } });
  });

  it("a v2 problem in the old dispenser is reported at its new path", async () => {
    const old = await v2Station();
    old.devices.dispenser = { kind: "tcp", host: "x" };
    expect(problemsOf(() => parseConfig(old))).toEqual(["devices.controllers[0].link.port: required"]);
  });

  it("the shipped example site runs PTS-2 pumps and OCPP chargers together", async () => {
    const loaded = parseConfig(await doc("config/example-site.yaml"));
    expect(controllersOf(loaded.config).map((c) => [c.config.id, c.module.driver, c.points])).toEqual([
      ["forecourt", "pts2", [1, 2]],
      ["chargers", "ocpp16", [3]],
    ]);
  });

  it("config/ocpp-station.yaml: one external charger CP-1, connector 1 → point 1, no auth, on 127.0.0.1:9220", async () => {
    const loaded = parseConfig(await doc("config/ocpp-station.yaml"));
    const [c] = controllersOf(loaded.config);
    expect(c!.module.driver).toBe("ocpp16");
    expect(c!.config).toMatchObject({ listen: { host: "127.0.0.1", port: 9220, path: "/ocpp" }, chargers: [{ id: "CP-1", securityProfile: 0, connectors: [{ connectorId: 1, point: 1 }] }] });
    expect(c!.config.virtual).toBeUndefined();
    expect(loaded.config.glase.endpoint).toBe("embedded-simulator");
  });

  it("reports each controller's problems at their paths, all at once", async () => {
    const d = await doc("config/example-site.yaml");
    d.devices.controllers[0].url = "ftp://pts";
    d.devices.controllers[0].auth = { scheme: "digest", user: "u" };
    d.devices.controllers[1].chargers[0].connectors[0].gradeId = "DC50";
    d.devices.controllers[1].heartbeatIntervalS = -1;
    d.devices.controllers.push({ id: "wash", driver: "carwash", points: [9] });
    expect(problemsOf(() => parseConfig(d))).toEqual([
      "devices.controllers[0].url: must be an http:// or https:// URL",
      "devices.controllers[0].auth: give exactly one of password or passwordFile",
      "devices.controllers[1].heartbeatIntervalS: Too small: expected number to be >0",
      "devices.controllers[1].chargers[0].connectors[0].gradeId: unknown grade 'DC50'",
      "devices.controllers[2].driver: unknown driver 'carwash' (known: line, ocpp16, pts2, kiosk-api, mdb)",
    ]);
  });

  it("a point belongs to exactly one controller, and every pump or charger point to one", async () => {
    const d = await doc("config/simulated-station.yaml");
    d.devices.controllers[1].chargers[0].connectors[0].point = 4; // the board drives 4 already
    expect(problemsOf(() => parseConfig(d))).toEqual([
      "devices.controllers[1].chargers[0].connectors[0].point: point 4 is a fuel point; a charger connector needs kind: ev",
      "devices.controllers[1].chargers[0].connectors[0].gradeId: point 4 does not sell grade 'AC22' (its grades: 95, 98)",
      "devices.controllers[1]: point 4 is already driven by controller 'board' (a point belongs to one controller)",
      "points[4].id: no controller in devices.controllers drives ev point 5",
    ]);
    const e = await doc("config/simulated-station.yaml");
    e.devices.controllers[1].id = "board";
    expect(problemsOf(() => parseConfig(e))).toEqual(["devices.controllers[1].id: duplicate controller id 'board'"]);
  });

  it("an OCPP session must be able to settle before its reservation lapses", async () => {
    const d = await doc("config/simulated-station.yaml");
    d.points[4].commitReservationTimeoutS = 360; // 360 − 120 (confirmation) − 2 × 60 (margins) − 60 (stopTimeoutS) = 60 s: just enough
    expect(() => parseConfig(d)).not.toThrow();
    d.points[4].commitReservationTimeoutS = 350;
    expect(problemsOf(() => parseConfig(d))).toEqual([expect.stringMatching(/^devices\.controllers\[1\]\.maxSessionS: a session could last only 50 s before its reservation lapses/)]);
  });

  it("a controller's currency is the station's", async () => {
    const d = await doc("config/example-site.yaml");
    d.devices.controllers[0].currency = "EUR";
    expect(problemsOf(() => parseConfig(d))).toEqual(["devices.controllers[0].currency: must be the station's currency SEK (or left out)"]);
  });
});
