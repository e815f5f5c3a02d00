// The line board's virtual twin: a VirtualController on loopback TCP that the real line driver
// reaches, plus the simulated customers' way of using its pumps (call, lift, hang up).
import type { CustomerSite, StartedTwin, VirtualTwin } from "../../drivers/driver-module.ts";
import type { LineControllerConfig } from "../../drivers/dispenser/module.ts";
import { VirtualController } from "../devices/virtual-controller.ts";

function customersOf(vc: VirtualController, points: readonly number[]): CustomerSite {
  return {
    points,
    arrive: (point, v) => vc.customerCall(point, { gradeId: v.gradeId, ...(v.presetMinor !== undefined ? { presetMinor: v.presetMinor } : {}) }),
    onAuthorized: (fn) => vc.onEvent((e) => e.type === "request" && e.request.verb === "AUTH" && fn(e.request.point, e.request.limitMinor)),
    deliver: (point, o) => vc.liftNozzle(point, { gradeId: o.gradeId, ...(o.milli !== undefined ? { volumeMilli: o.milli } : {}) }),
    onEnd: (fn) =>
      vc.onEvent((e) => {
        if (e.type !== "end") return;
        fn(e.point);
        // A delivery that stopped at the limit (or was stopped) leaves the nozzle up: hang up.
        if (e.reason !== "nozzle-down") vc.scheduler.setTimer(1_000, () => vc.hangUp(e.point));
      }),
    // A customer who walks away from a board pump simply never lifts the nozzle.
    leave: () => undefined,
  };
}

export const lineTwin: VirtualTwin<LineControllerConfig> = {
  async start(config, ctx): Promise<StartedTwin<LineControllerConfig>> {
    const vc = new VirtualController({
      scheduler: ctx.scheduler,
      grades: config.grades ?? [],
      points: config.points.map((id) => ({ id, gradeIds: ctx.station.points.find((p) => p.id === id)?.grades ?? [] })),
      currency: ctx.station.currency,
      flowRateMilliPerSec: config.virtual?.flowMilliPerSecond ?? 1_000,
    });
    try {
      const port = await vc.listenTcp(0);
      const { virtual: _virtual, ...rest } = config;
      return { config: { ...rest, link: { kind: "tcp", host: "127.0.0.1", port } }, customers: customersOf(vc, config.points), device: vc, close: () => vc.close() };
    } catch (err) {
      await vc.close();
      throw err;
    }
  },
};
