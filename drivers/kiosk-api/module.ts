// The Kiosk API as a device-registry module: `driver: kiosk-api` (docs/kiosk-api.md). It listens
// for the kiosk's own touchscreen app and sells through the shell's kiosk host. With `virtual:` a
// simulated car-wash app (simulator/twins/kiosk-app.ts) drives it like customers would.
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { defineDriver, type ControllerEntry, type DriverContext, type OpenedController } from "../driver-module.ts";
import { checkKioskPoints, kioskHostOf } from "../kiosk/registry-support.ts";
import { kioskApiConfigSchema } from "./config.ts";

const VirtualSchema = z.strictObject({
  products: z.array(z.strictObject({ description: z.string().min(1).max(100), amountMinor: z.number().int().positive() })).min(1).default([{ description: "Car wash", amountMinor: 9900 }]),
  /** Share of paid washes that fail (and are refunded, whole or in part). */
  failShare: z.number().min(0).max(1).default(0.2),
  /** Pause between simulated customers (real seconds). */
  pauseS: z.number().min(0).max(3600).default(15),
});

export const kioskApiEntrySchema = kioskApiConfigSchema
  .omit({ points: true })
  .extend({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/),
    driver: z.literal("kiosk-api"),
    /** The kiosk points this API sells on. */
    points: z.array(z.number().int().positive()).min(1),
    currency: z.string().optional(),
    virtual: VirtualSchema.optional(),
  })
  .strict();

export type KioskApiControllerConfig = z.output<typeof kioskApiEntrySchema> & ControllerEntry;

async function open(c: KioskApiControllerConfig, ctx: DriverContext): Promise<OpenedController> {
  const { openKioskApi } = await import("./server.ts");
  // The socket's directory (systemd's RuntimeDirectory on a site; .glase/run on the simulated station).
  await mkdir(dirname(c.socketPath), { recursive: true, mode: 0o750 });
  const { id: _id, driver: _driver, currency: _currency, virtual: _virtual, ...settings } = c;
  const api = await openKioskApi(settings, { host: kioskHostOf(ctx, "kiosk-api"), logger: ctx.logger, keyScope: c.id });
  return { id: c.id, driver: "kiosk-api", points: c.points, describe: () => ({ socket: api.socketPath, ...(api.tcpPort !== undefined ? { tcpPort: api.tcpPort } : {}), ...api.stats() }), close: () => api.close() };
}

export const kioskApiDriver = defineDriver<KioskApiControllerConfig>({
  driver: "kiosk-api",
  describe: "the Kiosk API: HTTP + JSON on a Unix socket for a kiosk's own touchscreen app (docs/kiosk-api.md)",
  configSchema: kioskApiEntrySchema as unknown as z.ZodType<KioskApiControllerConfig>,
  pointsOf: (c) => c.points,
  gradesOf: () => [],
  check: (c, station) => checkKioskPoints(c.points, station, (i) => ["points", i]),
  open,
  twin: async () => (await import("../../simulator/twins/kiosk-app.ts")).kioskAppTwin,
});
