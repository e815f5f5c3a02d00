// Kiosk-side controllers in devices.controllers: the Kiosk API and MDB entries of the simulated
// station parse through their registry modules, own their kiosk points, and are refused with a
// path on a pump point; kiosk points need no grades, pump points still do.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseConfig } from "../../agent/config/load.ts";
import { controllersOf } from "../../agent/config/controllers.ts";
import { isAgentError } from "../../agent/errors.ts";

const station = async (): Promise<Record<string, any>> => parse(await readFile("config/simulated-station.yaml", "utf8"));

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (isAgentError(e, "CONFIG_INVALID")) return e.context.problems as string[];
    throw e;
  }
  throw new Error("expected CONFIG_INVALID");
}

describe("kiosk-api and mdb controllers", () => {
  it("the simulated station's car-wash API and vending machine own kiosk points 7 and 8", async () => {
    const { config: cfg } = parseConfig(await station());
    const byDriver = Object.fromEntries(controllersOf(cfg).map((c) => [c.module.driver, c.points]));
    expect(byDriver["kiosk-api"]).toEqual([7]);
    expect(byDriver["mdb"]).toEqual([8]);
    expect(cfg.flows.kioskReleaseTimeoutS).toBe(120);
  });

  it("refuses them on a pump point, and bad options, naming the path", async () => {
    const d = await station();
    const wash = d.devices.controllers.find((c: { id: string }) => c.id === "wash");
    const vend = d.devices.controllers.find((c: { id: string }) => c.id === "vend");
    wash.points = [1];
    vend.paymentTimeoutMs = 10;
    const problems = problemsOf(() => parseConfig(d));
    expect(problems.some((p) => p.startsWith("devices.controllers[2].points[0]:") && p.includes("needs kind: kiosk"))).toBe(true);
    expect(problems.some((p) => p.startsWith("devices.controllers[3].paymentTimeoutMs:"))).toBe(true);
  });

  it("a pump point without grades is still refused; a kiosk point needs none", async () => {
    const d = await station();
    delete d.points[0].grades;
    expect(problemsOf(() => parseConfig(d))).toContain("points[0].grades: at least one grade");
  });
});
