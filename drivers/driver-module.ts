// What a device driver module gives the device layer, and what the shell gives a driver. One
// station runs several controllers (`devices.controllers[]` in the config), each opened by the
// driver module its `driver:` names (drivers/registry.ts). A module is:
//   - `configSchema`: zod schema of one controller entry (the shell merges the station's currency
//     in first, so a driver may require it), every problem reported with its path;
//   - `pointsOf` / `gradesOf`: which payment points the entry drives and what it sells, known from
//     the config alone (config check, routing, receipts) — nothing is opened for that;
//   - `open(config, ctx)`: the running controller, with the capabilities it provides — a
//     DispenserController for fuelling/charge points, or another kind of controller (a kiosk
//     host, a vending machine) under its own key: the shell uses what is there;
//   - `twin` (optional): how to start its virtual twin, loaded only when an entry says
//     `virtual:` so a real site never loads simulator code.
// Only the base layer and the device contracts are imported here: drivers, simulator and shell
// all depend on this file, never the other way round.
import type { z } from "zod";
import type { Scheduler } from "../base/clock.ts";
import type { Logger } from "../base/log.ts";
import type { DispenserController, Grade, PointId } from "../contracts/dispenser.ts";
import type { DriverStore } from "../contracts/driver-store.ts";
import type { KioskHost } from "../contracts/kiosk.ts";

/** A payment point as the station config defines it (the facts a driver may check against). */
export interface StationPointFacts {
  readonly id: PointId;
  readonly kind: "fuel" | "ev" | "kiosk";
  readonly grades: readonly string[];
  readonly maxPreliminaryMinor: number;
  /** commitReservationTimeout sent with the point's preliminary invoices (seconds). */
  readonly commitReservationTimeoutS: number;
}

/** The station around a controller: what a driver needs to know of it to behave. */
export interface StationFacts {
  readonly name: string;
  readonly currency: string;
  readonly points: readonly StationPointFacts[];
  /** The payment flows' timing a driver's own limits must stay inside (seconds). */
  readonly flows: { readonly reservationWaitS: number; readonly commitSafetyMarginS: number };
}

/** What the shell hands a driver when it opens one controller. */
export interface DriverContext {
  /** Already named after the controller. */
  readonly logger: Logger;
  readonly scheduler: Scheduler;
  /** Durable storage scoped to this controller: a `put` is durable when it resolves. */
  readonly store: DriverStore;
  /** Reads a secret file, refusing group/world-readable ones (0600). */
  readonly readSecret: (path: string, what: string) => Promise<string>;
  readonly station: StationFacts;
  /** The shell's kiosk host (agent/kiosk/): what kiosk-side drivers (kiosk-api, mdb) sell through. */
  readonly kiosk?: KioskHost;
}

/**
 * One running controller. A driver fills in the capabilities it has: `dispenser` for points that
 * dispense (pumps, chargers). Drivers of other device kinds add their own optional key here (e.g.
 * a kiosk host) — the shell routes each point to the capability of the controller that owns it.
 */
export interface OpenedController {
  readonly id: string;
  readonly driver: string;
  readonly points: readonly PointId[];
  readonly dispenser?: DispenserController;
  /** Where devices reach this controller when it is the listening side (an OCPP central system). */
  readonly listenUrl?: string;
  /** What a technician sees of it (ctl status): connected chargers, link, … */
  describe?(): Record<string, unknown>;
  /**
   * A controller without a `dispenser` (a vending machine) tells its device link here: now and at
   * every change; down carries the reason. The shell shows it as device health and raises the
   * device-link-down alarm on the controller's points until the link is back.
   */
  onLink?(listener: (link: { readonly up: boolean; readonly detail?: string }) => void): () => void;
  close(): Promise<void>;
}

/** The base of every controller entry; the driver's schema adds the rest. */
export interface ControllerEntry {
  readonly id: string;
  readonly driver: string;
  /** Present: run the driver against its virtual twin (simulated station, tests). */
  readonly virtual?: unknown;
  readonly [option: string]: unknown;
}

/** A simulated customer's way of using one kind of point, for the simulated station. */
export interface CustomerSite {
  readonly points: readonly PointId[];
  /** The customer asks for a payment at the point (nozzle lift / plug-in / call button). */
  arrive(point: PointId, visit: { readonly gradeId: string; readonly presetMinor?: number }): void;
  /** The agent authorized the point (with this limit, when the device is told it). */
  onAuthorized(listener: (point: PointId, limitMinor: number | undefined) => void): () => void;
  /** The customer starts taking product; `milli` undefined = until the agent's limit. */
  deliver(point: PointId, opts: { readonly gradeId: string; readonly milli?: number }): void;
  /** The delivery ended (the customer leaves afterwards). */
  onEnd(listener: (point: PointId) => void): () => void;
  /** The customer gives up before delivering (hang up / unplug). */
  leave(point: PointId): void;
}

/** A running virtual twin of one controller. */
export interface StartedTwin<C> {
  /** The entry the real driver opens: its link rewritten to reach the twin. */
  readonly config: C;
  /** After the real driver opened (an OCPP twin's chargers connect to the driver's listener). */
  attach?(opened: OpenedController): Promise<void>;
  readonly customers?: CustomerSite;
  /** The twin object itself (tests, technician commands on a simulated station). */
  readonly device?: unknown;
  close(): Promise<void>;
}

export interface TwinContext {
  readonly logger: Logger;
  /** The simulation clock (time scale applies). */
  readonly scheduler: Scheduler;
  readonly station: StationFacts;
}

export interface VirtualTwin<C> {
  start(config: C, ctx: TwinContext): Promise<StartedTwin<C>>;
}

export interface DriverModule<C extends ControllerEntry = ControllerEntry> {
  /** The `driver:` value that selects this module. */
  readonly driver: string;
  /** One sentence for `config check` and docs. */
  readonly describe: string;
  readonly configSchema: z.ZodType<C>;
  /** The payment points this entry drives. */
  pointsOf(config: C): readonly PointId[];
  /** Grades (names, VAT, prices) the entry sells, as configured; [] when only the device knows them. */
  gradesOf(config: C): readonly Grade[];
  /** Cross-checks against the station (points of the right kind, grades that exist…): problems with paths relative to the entry. */
  check?(config: C, station: StationFacts): ReadonlyArray<{ readonly path: ReadonlyArray<string | number>; readonly message: string }>;
  open(config: C, ctx: DriverContext): Promise<OpenedController>;
  /** Loads the twin (a dynamic import of simulator code). */
  readonly twin?: () => Promise<VirtualTwin<C>>;
}

/** Erases a module's config type for the registry's list. */
export function defineDriver<C extends ControllerEntry>(m: DriverModule<C>): DriverModule {
  return m as unknown as DriverModule;
}
