// Builds the configured ReceiptPrinter. The config union is what the agent's config file holds.
import type { Logger } from "../../base/log.ts";
import type { ReceiptPrinter } from "../../contracts/printer.ts";
import { EscPosPrinter } from "./escpos-printer.ts";
import type { PaperWidth } from "./receipt-layout.ts";
import { DevicePrinterTransport } from "./transport-device.ts";
import { FilePrinterTransport } from "./transport-file.ts";
import { SerialPrinterTransport } from "./transport-serial.ts";
import { TcpPrinterTransport } from "./transport-tcp.ts";
import type { PrinterTransport } from "./transport.ts";
import type { RotationPolicy } from "../../base/io/rotation.ts";
import type { StationLocale } from "../../base/i18n/format.ts";

export type PrinterConnection =
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "serial"; readonly path: string; readonly baudRate: number }
  | { readonly kind: "device"; readonly path: string }
  | { readonly kind: "file"; readonly path: string; readonly rotate?: RotationPolicy };

export type PrinterConfig = PrinterConnection & {
  readonly width: PaperWidth;
  readonly statusTimeoutMs?: number;
  readonly printTimeoutMs?: number;
  readonly station?: StationLocale;
};

export function createTransport(connection: PrinterConnection): PrinterTransport {
  switch (connection.kind) {
    case "tcp":
      return new TcpPrinterTransport(connection.host, connection.port);
    case "serial":
      return new SerialPrinterTransport(connection.path, connection.baudRate);
    case "device":
      return new DevicePrinterTransport(connection.path);
    case "file":
      return new FilePrinterTransport(connection.path, connection.rotate);
  }
}

export function createReceiptPrinter(config: PrinterConfig, logger?: Logger): ReceiptPrinter {
  return new EscPosPrinter(createTransport(config), {
    width: config.width,
    ...(config.statusTimeoutMs !== undefined ? { statusTimeoutMs: config.statusTimeoutMs } : {}),
    ...(config.printTimeoutMs !== undefined ? { printTimeoutMs: config.printTimeoutMs } : {}),
    ...(logger !== undefined ? { logger } : {}),
    ...(config.station !== undefined ? { station: config.station } : {}),
  });
}
