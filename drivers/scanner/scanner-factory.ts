// Builds the configured BarcodeScanner. The config union is what the agent's config file holds;
// the virtual scanner (simulator/devices/virtual-scanner.ts) is constructed directly by the simulator.
import type { Logger } from "../../base/log.ts";
import type { BarcodeScanner } from "../../contracts/scanner.ts";
import { HidBarcodeScanner } from "./hid-scanner.ts";
import type { HidReportFormat } from "./hid-scanner.ts";
import { nodeHidOpener } from "./node-hid-device.ts";
import type { HidSelector } from "./node-hid-device.ts";
import type { ScanParserOptions } from "./scan-parser.ts";
import { SerialBarcodeScanner } from "./serial-scanner.ts";

export type ScannerConfig =
  | { readonly kind: "hid"; readonly format: HidReportFormat; readonly device: HidSelector; readonly pollIntervalMs?: number }
  | { readonly kind: "serial"; readonly path: string; readonly baudRate: number; readonly terminator?: "\r" | "\n" | "\r\n"; readonly pollIntervalMs?: number };

export function createBarcodeScanner(config: ScannerConfig, parser?: ScanParserOptions, logger?: Logger): BarcodeScanner {
  const common = {
    ...(config.pollIntervalMs !== undefined ? { pollIntervalMs: config.pollIntervalMs } : {}),
    ...(parser !== undefined ? { parser } : {}),
    ...(logger !== undefined ? { logger } : {}),
  };
  switch (config.kind) {
    case "hid":
      return new HidBarcodeScanner({ format: config.format, open: nodeHidOpener(config.device, config.format), ...common });
    case "serial":
      return new SerialBarcodeScanner({ path: config.path, baudRate: config.baudRate, ...(config.terminator !== undefined ? { terminator: config.terminator } : {}), ...common });
  }
}
