// Opens the station's devices from the config: the pump/charger controllers (every
// devices.controllers[] entry through its driver's registry module — controllers.ts — behind one
// point router), the receipt printer (ESC/POS over the configured transport; the virtual printer
// is a local TCP 9100 server writing decoded receipts to a folder) and the barcode scanner.
// A device that is not there at start is retried in the background by its driver and shown
// degraded — never fatal; a device that cannot even be created (its native module does not load,
// its folder cannot be written) is reported in `startFailures` and the station runs without it
// (the station raises an alarm). Implementations are imported only when configured, simulators
// only through simulation.ts: a site with real devices never loads the simulators (memory), and a
// kiosk without a HID scanner never node-hid.
import type { Scheduler } from "../../base/clock.ts";
import type { Logger } from "../../base/log.ts";
import type { DispenserController } from "../../contracts/dispenser.ts";
import type { ReceiptPrinter } from "../../contracts/printer.ts";
import { createReceiptPrinter } from "../../drivers/printer/printer-factory.ts";
import type { BarcodeScanner } from "../../contracts/scanner.ts";
import type { VirtualPrinter, VirtualScanner } from "./simulation.ts";
import type { AgentConfig } from "../config/schema.ts";
import { stationLocaleOf } from "./station-locale.ts";
import type { DriverStores } from "../journal/driver-store.ts";
import { resolve } from "node:path";
import type { DeviceHealthBoard } from "./device-health.ts";
import type { KioskHost } from "../../contracts/kiosk.ts";
import { openControllers, type StationControllers } from "./controllers.ts";
import { startVirtualPrinter, startVirtualScanner } from "./simulation.ts";

export interface StationDevices {
  /** Every pump/charger point's controller, routed by point. */
  readonly dispenser: DispenserController;
  readonly controllers: StationControllers;
  readonly printer?: ReceiptPrinter;
  readonly scanner?: BarcodeScanner;
  /** Present when the config asks for virtual devices (simulated station, tests). */
  readonly virtualPrinter?: VirtualPrinter;
  readonly virtualScanner?: VirtualScanner;
  /** Devices that could not be created at start (the station shows each as an alarm). */
  readonly startFailures: readonly DeviceStartFailure[];
  close(): Promise<void>;
}

export interface DeviceStartFailure {
  readonly device: "dispenser" | "printer" | "scanner";
  /** The controller id, for a pump/charger controller. */
  readonly controller?: string;
  readonly kind: string;
  readonly message: string;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface OpenDevicesOptions {
  readonly config: AgentConfig;
  readonly board: DeviceHealthBoard;
  readonly logger: Logger;
  /** Clock of the virtual devices (shared with the embedded simulator). */
  readonly simScheduler: Scheduler;
  /** Timers of the real drivers. */
  readonly scheduler: Scheduler;
  /** The drivers' durable storage. */
  readonly stores: DriverStores;
  /** The kiosk host (agent/kiosk/) for kiosk-side controllers. */
  readonly kiosk?: KioskHost;
  /** Printer status poll interval (ms). */
  readonly printerPollMs?: number;
}

export async function openDevices(opts: OpenDevicesOptions): Promise<StationDevices> {
  const { config, board, logger } = opts;
  const closers: Array<() => Promise<void>> = [];
  const d = config.devices;
  const station = stationLocaleOf(config);

  // --- pumps and chargers: every controller ----------------------------------------------------
  const startFailures: DeviceStartFailure[] = [];
  const controllers = await openControllers({ config, board, logger, scheduler: opts.scheduler, simScheduler: opts.simScheduler, stores: opts.stores, ...(opts.kiosk ? { kiosk: opts.kiosk } : {}) });
  closers.push(() => controllers.close());
  for (const f of controllers.failures) startFailures.push({ device: "dispenser", controller: f.controller, kind: f.kind, message: f.message });

  // --- printer -----------------------------------------------------------------------------------
  let printer: ReceiptPrinter | undefined;
  let virtualPrinter: VirtualPrinter | undefined;
  if (!d.printer) board.set("printer", "none", "absent");
  else {
    const p = d.printer;
    try {
      if (p.kind === "virtual") {
        const vp = await startVirtualPrinter(resolve(p.dir), p.rotate);
        virtualPrinter = vp;
        closers.push(() => vp.close());
        printer = createReceiptPrinter({ kind: "tcp", host: "127.0.0.1", port: vp.port, width: p.width, station }, logger.child("printer"));
      } else {
        printer = createReceiptPrinter({ ...p, station }, logger.child("printer"));
      }
    } catch (err) {
      // Receipts are still kept in the journal and can be reprinted once the printer works.
      const message = messageOf(err);
      startFailures.push({ device: "printer", kind: p.kind, message });
      board.set("printer", p.kind, "degraded", `failed at start: ${message}`);
      logger.error("device-start-failed", { device: "printer", kind: p.kind, err });
    }
    const polled = printer;
    if (polled) {
      const poll = async () => {
        const health = await polled.status().catch(() => "offline" as const);
        board.set("printer", p.kind, health === "ok" || health === "unknown" ? "ok" : "degraded", health === "ok" ? undefined : health);
      };
      void poll();
      const timer = setInterval(() => void poll(), opts.printerPollMs ?? 30_000);
      timer.unref();
      closers.unshift(async () => {
        clearInterval(timer);
        await polled.close();
      });
    }
  }

  // --- scanner -----------------------------------------------------------------------------------
  let scanner: BarcodeScanner | undefined;
  let virtualScanner: VirtualScanner | undefined;
  if (!d.scanner) board.set("scanner", "none", "absent");
  else {
    const s = d.scanner;
    try {
      if (s.kind === "virtual") {
        scanner = virtualScanner = await startVirtualScanner(logger.child("scanner"));
      } else if (s.kind === "hid") {
        const { HidBarcodeScanner } = await import("../../drivers/scanner/hid-scanner.ts");
        const { nodeHidOpener } = await import("../../drivers/scanner/node-hid-device.ts");
        const selector = s.path !== undefined ? { path: s.path } : { vendorId: s.vendorId, productId: s.productId };
        scanner = new HidBarcodeScanner({ format: s.format, open: nodeHidOpener(selector, s.format), logger: logger.child("scanner") });
      } else {
        const { SerialBarcodeScanner } = await import("../../drivers/scanner/serial-scanner.ts");
        scanner = new SerialBarcodeScanner({ path: s.path, baudRate: s.baudRate, logger: logger.child("scanner") });
      }
      board.set("scanner", s.kind, s.kind === "virtual" ? "ok" : "degraded", s.kind === "virtual" ? undefined : "opening");
      scanner.onStatus((st) => board.set("scanner", s.kind, st === "connected" ? "ok" : "degraded", st === "connected" ? undefined : "disconnected, retrying"));
      const sc = scanner;
      closers.unshift(() => sc.close());
    } catch (err) {
      const message = messageOf(err);
      scanner = virtualScanner = undefined;
      startFailures.push({ device: "scanner", kind: s.kind, message });
      board.set("scanner", s.kind, "degraded", `failed at start: ${message}`);
      logger.error("device-start-failed", { device: "scanner", kind: s.kind, err });
    }
  }

  return {
    dispenser: controllers.dispenser,
    controllers,
    ...(printer ? { printer } : {}),
    ...(scanner ? { scanner } : {}),
    ...(virtualPrinter ? { virtualPrinter } : {}),
    ...(virtualScanner ? { virtualScanner } : {}),
    startFailures,
    async close() {
      for (const c of closers) await c().catch((err: unknown) => logger.warn("device-close-failed", { err }));
    },
  };
}
