// Opens the station's pump/charger controllers from devices.controllers[], whatever their driver:
// each through its registry module (drivers/registry.ts) with a DriverContext of its own (logger,
// a DriverStore scoped to it, the secret reader, the station's facts), against its virtual twin
// when the entry says `virtual:`. A controller that cannot be created is reported and stands in as
// "unavailable" for its points only; the others run. The engine sees one DispenserController: the
// PointRouter over all of them.
import type { Scheduler } from "../../base/clock.ts";
import type { Logger } from "../../base/log.ts";
import type { DispenserController, PointId } from "../../contracts/dispenser.ts";
import { PointRouter, type RoutedController } from "../../drivers/dispenser/point-router.ts";
import type { ControllerEntry, CustomerSite, OpenedController, StartedTwin } from "../../drivers/driver-module.ts";
import type { DriverStores } from "../journal/driver-store.ts";
import type { AgentConfig } from "../config/schema.ts";
import { controllersOf, stationFacts } from "../config/controllers.ts";
import { readSecretFile } from "../config/secrets.ts";
import { AgentError } from "../../base/errors.ts";
import type { DeviceHealthBoard } from "./device-health.ts";
import type { KioskHost } from "../../contracts/kiosk.ts";
import { startControllerTwin } from "./simulation.ts";

export interface ControllerStartFailure {
  readonly controller: string;
  readonly kind: string;
  readonly message: string;
}

export interface StationControllers {
  /** Every point's controller behind one DispenserController (the engine's). */
  readonly dispenser: DispenserController;
  readonly opened: readonly OpenedController[];
  /** The virtual twins' customer sites (simulated customers), by controller id. */
  readonly customerSites: ReadonlyMap<string, CustomerSite>;
  /** The twins' devices (tests, a simulated station's technician), by controller id. */
  readonly twins: ReadonlyMap<string, unknown>;
  readonly failures: readonly ControllerStartFailure[];
  close(): Promise<void>;
}

/** Stands in for a controller that could not be created: every command fails as if the link were down. */
export function unavailableController(reason: string): DispenserController {
  const down = () => Promise.reject(new AgentError("DEVICE_DISCONNECTED", `controller unavailable: ${reason}`));
  return { onEvent: () => () => undefined, hello: down, status: down, prices: down, authorize: down, stop: down, display: down, saleRecord: down, close: async () => undefined };
}

/** Every point of the controller is a kiosk point. */
function isKioskSide(points: readonly number[], config: AgentConfig): boolean {
  return points.length > 0 && points.every((id) => config.points.find((p) => p.id === id)?.kind === "kiosk");
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** How the technician's device list names it: the link kind for the line board, else the driver. */
function kindOf(entry: ControllerEntry): string {
  if (entry.virtual !== undefined) return entry.driver === "line" ? "virtual" : `${entry.driver}-virtual`;
  const link = entry.link as { kind?: string } | undefined;
  return entry.driver === "line" && link?.kind ? link.kind : entry.driver;
}

export interface OpenControllersOptions {
  readonly config: AgentConfig;
  readonly board: DeviceHealthBoard;
  readonly logger: Logger;
  readonly scheduler: Scheduler;
  /** Clock of the virtual twins (shared with the embedded simulator). */
  readonly simScheduler: Scheduler;
  readonly stores: DriverStores;
  /** The kiosk host the kiosk-side drivers (kiosk-api, mdb) sell through; absent: no kiosk points. */
  readonly kiosk?: KioskHost;
}

export async function openControllers(opts: OpenControllersOptions): Promise<StationControllers> {
  const { config, board, logger } = opts;
  const facts = stationFacts(config);
  const routed: RoutedController[] = [];
  const opened: OpenedController[] = [];
  const started: Array<StartedTwin<ControllerEntry>> = [];
  const customerSites = new Map<string, CustomerSite>();
  const twins = new Map<string, unknown>();
  const failures: ControllerStartFailure[] = [];
  for (const c of controllersOf(config)) {
    const id = c.config.id;
    const kind = kindOf(c.config);
    const scope = { controller: id, points: c.points as readonly PointId[] };
    const log = logger.child(id);
    board.set("dispenser", kind, "degraded", "connecting", scope);
    try {
      let entry = c.config;
      let twin: StartedTwin<ControllerEntry> | undefined;
      if (entry.virtual !== undefined) {
        twin = await startControllerTwin(c.module, entry, { logger: log.child("twin"), scheduler: opts.simScheduler, station: facts });
        started.push(twin);
        entry = twin.config;
      }
      const ctl = await c.module.open(entry, {
        logger: log,
        scheduler: opts.scheduler,
        store: opts.stores.scoped(id),
        readSecret: (path, what) => readSecretFile(path, what, { owner: "agent" }), // the daemon: its own files only
        station: facts,
        ...(opts.kiosk ? { kiosk: opts.kiosk } : {}),
      });
      opened.push(ctl);
      if (!ctl.dispenser && isKioskSide(c.points, config)) {
        // A kiosk app's API or a vending machine: it sells through the kiosk host, not the router.
        board.set("dispenser", kind, "ok", undefined, scope);
        ctl.onLink?.((l) => board.set("dispenser", kind, l.up ? "ok" : "degraded", l.up ? undefined : (l.detail ?? "link down, reconnecting"), scope));
        await twin?.attach?.(ctl);
        if (twin?.device !== undefined) twins.set(id, twin.device);
        continue;
      }
      if (!ctl.dispenser) throw new AgentError("CONFIG_INVALID", `controller ${id} (driver ${c.module.driver}) drives no pumps or chargers`, { controller: id });
      const dispenser = ctl.dispenser;
      dispenser.onEvent((e) => {
        if (e.type === "link") board.set("dispenser", kind, e.up ? "ok" : "degraded", e.up ? undefined : "link down, reconnecting", scope);
      });
      await twin?.attach?.(ctl);
      if (twin?.customers) customerSites.set(id, twin.customers);
      if (twin?.device !== undefined) twins.set(id, twin.device);
      routed.push({ id, points: c.points, dispenser });
      // The first link-up may have happened before onEvent saw it; ask once.
      dispenser.hello().then(
        () => board.set("dispenser", kind, "ok", undefined, scope),
        () => undefined,
      );
    } catch (err) {
      const message = messageOf(err);
      failures.push({ controller: id, kind, message });
      board.set("dispenser", kind, "degraded", `failed at start: ${message}`, scope);
      log.error("device-start-failed", { device: "dispenser", controller: id, kind, err });
      if (!isKioskSide(c.points, config)) routed.push({ id, points: c.points, dispenser: unavailableController(message) });
    }
  }
  const router = new PointRouter(routed);
  return {
    dispenser: router,
    opened,
    customerSites,
    twins,
    failures,
    async close() {
      await router.close();
      for (const o of opened.reverse()) await o.close().catch((err: unknown) => logger.warn("device-close-failed", { controller: o.id, err }));
      for (const t of started.reverse()) await t.close().catch((err: unknown) => logger.warn("device-close-failed", { twin: true, err }));
    },
  };
}
