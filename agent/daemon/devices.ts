// Opens the station's devices from the config: the dispenser/charger controller (real board
// over serial/TCP, or the virtual controller reached through the same real line driver over
// loopback TCP), the receipt printer (ESC/POS over the configured transport; the virtual printer
// is a local TCP 9100 server writing decoded receipts to a folder) and the barcode scanner.
// A device that is not there at start is retried in the background by its driver and shown
// degraded — never fatal; a device that cannot even be created (its native module does not load,
// its folder cannot be written) is reported in `startFailures` and the station runs without it
// (the station raises an alarm). Implementations are imported only when configured: a site with real
// devices never loads the simulators (memory), and a kiosk without a HID scanner never node-hid.
import type { Scheduler } from "../core/clock.ts";
import type { Logger } from "../log.ts";
import type { DispenserController } from "../../drivers/dispenser/contract.ts";
import { openDispenserController } from "../../drivers/dispenser/open.ts";
import type { ReceiptPrinter } from "../../drivers/printer/contract.ts";
import { createReceiptPrinter } from "../../drivers/printer/printer-factory.ts";
import type { BarcodeScanner } from "../../drivers/scanner/contract.ts";
import { loadVirtualController, loadVirtualPrinter, loadVirtualScanner, type VirtualController, type VirtualPrinter, type VirtualScanner } from "./simulation.ts";
import type { AgentConfig } from "../config/schema.ts";
import { AgentError } from "../errors.ts";
import { resolve } from "node:path";
import type { DeviceHealthBoard } from "./device-health.ts";

export interface StationDevices {
  readonly dispenser: DispenserController;
  readonly printer?: ReceiptPrinter;
  readonly scanner?: BarcodeScanner;
  /** Present when the config asks for virtual devices (simulated station, tests). */
  readonly virtualController?: VirtualController;
  readonly virtualPrinter?: VirtualPrinter;
  readonly virtualScanner?: VirtualScanner;
  /** Devices that could not be created at start (the station shows each as an alarm). */
  readonly startFailures: readonly DeviceStartFailure[];
  close(): Promise<void>;
}

export interface DeviceStartFailure {
  readonly device: "dispenser" | "printer" | "scanner";
  readonly kind: string;
  readonly message: string;
}

/** Stands in for a controller that could not be created: every command fails as if the link were down. */
function unavailableController(reason: string): DispenserController {
  const down = () => Promise.reject(new AgentError("DEVICE_DISCONNECTED", `dispenser controller unavailable: ${reason}`));
  return { onEvent: () => () => undefined, hello: down, status: down, prices: down, authorize: down, stop: down, display: down, saleRecord: down, close: async () => undefined };
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
  /** Printer status poll interval (ms). */
  readonly printerPollMs?: number;
}

export async function openDevices(opts: OpenDevicesOptions): Promise<StationDevices> {
  const { config, board, logger } = opts;
  const closers: Array<() => Promise<void>> = [];
  const d = config.devices;

  // --- dispenser -------------------------------------------------------------------------------
  const startFailures: DeviceStartFailure[] = [];
  let virtualController: VirtualController | undefined;
  let dispenser: DispenserController;
  try {
    let link: Parameters<typeof openDispenserController>[0];
    if (d.dispenser.kind === "virtual") {
      const { VirtualController } = await loadVirtualController();
      const vc = new VirtualController({
        scheduler: opts.simScheduler,
        grades: d.dispenser.grades,
        points: config.points.map((p) => ({ id: p.id, gradeIds: p.grades })),
        currency: config.station.currency,
        flowRateMilliPerSec: d.dispenser.flowMilliPerSecond,
      });
      virtualController = vc;
      closers.push(() => vc.close());
      const port = await vc.listenTcp(0);
      link = { kind: "tcp", host: "127.0.0.1", port, name: "dispenser" };
    } else if (d.dispenser.kind === "serial") {
      link = { kind: "serial", path: d.dispenser.path, baudRate: d.dispenser.baudRate, dataBits: d.dispenser.dataBits, parity: d.dispenser.parity, stopBits: d.dispenser.stopBits, name: "dispenser" };
    } else {
      link = { kind: "tcp", host: d.dispenser.host, port: d.dispenser.port, name: "dispenser" };
    }
    board.set("dispenser", d.dispenser.kind, "degraded", "connecting");
    const driver = await openDispenserController(link, {
      onEvent: (e) => {
        if (e.type === "link") board.set("dispenser", d.dispenser.kind, e.up ? "ok" : "degraded", e.up ? undefined : "link down, reconnecting");
      },
    });
    dispenser = driver;
    closers.unshift(() => driver.close());
    // The first link-up may have happened before onEvent saw it; ask once.
    driver.hello().then(
      () => board.set("dispenser", d.dispenser.kind, "ok"),
      () => undefined,
    );
  } catch (err) {
    const message = messageOf(err);
    startFailures.push({ device: "dispenser", kind: d.dispenser.kind, message });
    board.set("dispenser", d.dispenser.kind, "degraded", `failed at start: ${message}`);
    logger.error("device-start-failed", { device: "dispenser", kind: d.dispenser.kind, err });
    dispenser = unavailableController(message);
  }

  // --- printer -----------------------------------------------------------------------------------
  let printer: ReceiptPrinter | undefined;
  let virtualPrinter: VirtualPrinter | undefined;
  if (!d.printer) board.set("printer", "none", "absent");
  else {
    const p = d.printer;
    try {
      if (p.kind === "virtual") {
        const { VirtualPrinter } = await loadVirtualPrinter();
        const vp = await VirtualPrinter.listen({ receiptsDir: resolve(p.dir) });
        virtualPrinter = vp;
        closers.push(() => vp.close());
        printer = createReceiptPrinter({ kind: "tcp", host: "127.0.0.1", port: vp.port, width: p.width }, logger.child("printer"));
      } else {
        printer = createReceiptPrinter(p, logger.child("printer"));
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
        const { VirtualScanner } = await loadVirtualScanner();
        scanner = virtualScanner = new VirtualScanner({ logger: logger.child("scanner") });
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
    dispenser,
    ...(printer ? { printer } : {}),
    ...(scanner ? { scanner } : {}),
    ...(virtualController ? { virtualController } : {}),
    ...(virtualPrinter ? { virtualPrinter } : {}),
    ...(virtualScanner ? { virtualScanner } : {}),
    startFailures,
    async close() {
      for (const c of closers) await c().catch((err: unknown) => logger.warn("device-close-failed", { err }));
    },
  };
}
