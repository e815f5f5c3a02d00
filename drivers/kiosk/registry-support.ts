// What the kiosk-side driver modules (kiosk-api, mdb) share for the device registry: the host
// they sell through must be there, and their points must be the station's kiosk points.
import { AgentError } from "../../base/errors.ts";
import type { DriverContext, StationFacts } from "../driver-module.ts";
import type { KioskHost } from "../../contracts/kiosk.ts";

export function kioskHostOf(ctx: DriverContext, driver: string): KioskHost {
  if (!ctx.kiosk) throw new AgentError("CONFIG_INVALID", `${driver}: this station has no kiosk points to sell on`, { driver });
  return ctx.kiosk;
}

export function checkKioskPoints(points: readonly number[], station: StationFacts, path: (i: number) => ReadonlyArray<string | number>) {
  const problems: Array<{ path: ReadonlyArray<string | number>; message: string }> = [];
  points.forEach((id, i) => {
    const p = station.points.find((x) => x.id === id);
    if (!p) problems.push({ path: path(i), message: `point ${id} is not a point of this station` });
    else if (p.kind !== "kiosk") problems.push({ path: path(i), message: `point ${id} is a ${p.kind} point; it needs kind: kiosk` });
  });
  return problems;
}
