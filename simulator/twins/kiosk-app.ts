// The Kiosk API's virtual twin: a simulated car-wash touchscreen app per point, started once the
// API listens, that buys washes one customer after another through the real socket and token —
// a share of washes fail (whole or half) so the station's automatic refunds get exercised. A
// missing token file is created (0600) for the simulated station.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { StartedTwin, VirtualTwin } from "../../drivers/driver-module.ts";
import type { KioskApiControllerConfig } from "../../drivers/kiosk-api/module.ts";
import { VirtualKioskApp } from "../devices/virtual-kiosk-app.ts";

export const kioskAppTwin: VirtualTwin<KioskApiControllerConfig> = {
  async start(config, ctx): Promise<StartedTwin<KioskApiControllerConfig>> {
    if (!existsSync(config.tokenFile)) {
      mkdirSync(dirname(config.tokenFile), { recursive: true, mode: 0o700 });
      writeFileSync(config.tokenFile, randomBytes(24).toString("hex") + "\n", { mode: 0o600 });
    }
    const v = config.virtual;
    const apps: VirtualKioskApp[] = [];
    return {
      config,
      async attach() {
        const token = readFileSync(config.tokenFile, "utf8").trim();
        for (const point of config.points) {
          const app = new VirtualKioskApp({
            socketPath: config.socketPath,
            token,
            point,
            currency: ctx.station.currency,
            products: v?.products ?? [{ description: "Car wash", amountMinor: 9900 }],
            failShare: v?.failShare ?? 0.2,
            onDisplay: (text, p) => ctx.logger.info("kiosk_app_display", { point, payment: p.id, state: p.state, text }),
          });
          apps.push(app);
          void app.run((v?.pauseS ?? 15) * 1000);
        }
      },
      get device() {
        return apps;
      },
      async close() {
        for (const a of apps) a.stop();
      },
    };
  },
};
