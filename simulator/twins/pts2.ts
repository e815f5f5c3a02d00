// The PTS-2 driver's virtual twin: a VirtualPts2 on loopback HTTP whose pumps, nozzles and fuel
// grades are the controller entry's (a nozzle per grade the point sells), at the configured prices.
import type { StartedTwin, VirtualTwin } from "../../drivers/driver-module.ts";
import type { Pts2ControllerConfig } from "../../drivers/pts2/module.ts";
import { VirtualPts2 } from "../devices/virtual-pts2.ts";

export const pts2Twin: VirtualTwin<Pts2ControllerConfig> = {
  async start(config, ctx): Promise<StartedTwin<Pts2ControllerConfig>> {
    const fuelGradeOf = new Map(config.grades.map((g) => [g.id, g.ptsFuelGradeId]));
    const twin = new VirtualPts2({
      scheduler: ctx.scheduler,
      grades: config.grades.map((g) => ({ id: g.ptsFuelGradeId, name: g.name, priceMinor: g.priceUnits })),
      priceDigits: config.priceDigits,
      pumps: config.points.map((m) => {
        const sold = ctx.station.points.find((p) => p.id === m.point)?.grades ?? [];
        const nozzles = sold.map((g) => fuelGradeOf.get(g)).filter((g): g is number => g !== undefined);
        return { pump: m.pump, nozzles: nozzles.length > 0 ? nozzles : config.grades.map((g) => g.ptsFuelGradeId) };
      }),
      flowRateMilliPerSec: config.virtual?.flowMilliPerSecond ?? 600,
    });
    try {
      await twin.listen(0);
      const { virtual: _virtual, ...rest } = config;
      return { config: { ...rest, url: twin.url, auth: { scheme: "none" }, controllerUserId: 1 }, device: twin, close: () => twin.close() };
    } catch (err) {
      await twin.close();
      throw err;
    }
  },
};
