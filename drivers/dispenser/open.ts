// Builds the real controller driver from configuration: serial line or TCP.
import { createLogger } from "../../base/log.ts";
import type { DispenserEvent } from "../../contracts/dispenser.ts";
import { LineDispenserDriver, type LineDriverOptions } from "./line-driver.ts";
// The serial transport (serialport's native bindings and parsers) is imported only for a serial link.
import type { SerialOptions } from "./transport-serial.ts";
import { tcpConnector } from "./transport-tcp.ts";

export type DispenserLinkConfig =
  | ({ readonly kind: "serial" } & SerialOptions)
  | { readonly kind: "tcp"; readonly host: string; readonly port: number; readonly connectTimeoutMs?: number };

export type DispenserConfig = DispenserLinkConfig &
  Omit<LineDriverOptions, "scheduler"> & {
    /** How long open waits for the first link-up before returning anyway (ms). Default 5000. */
    readonly openTimeoutMs?: number;
  };

/**
 * Starts the driver and waits (bounded) for the first handshake. If the controller is not there
 * yet the driver is returned anyway and keeps reconnecting; `link` events say when it is up.
 */
export async function openDispenserController(
  config: DispenserConfig,
  options: Pick<LineDriverOptions, "scheduler"> & {
    /** Subscribed before the first connection, so no notification of the first moments is missed. */
    readonly onEvent?: (event: DispenserEvent) => void;
  } = {},
): Promise<LineDispenserDriver> {
  const connector = config.kind === "serial" ? (await import("./transport-serial.ts")).serialConnector(config) : tcpConnector(config);
  const driver = new LineDispenserDriver(connector, { ...config, ...(options.scheduler ? { scheduler: options.scheduler } : {}) });
  if (options.onEvent) driver.onEvent(options.onEvent);
  await driver.start();
  try {
    await driver.waitForLink(config.openTimeoutMs ?? 5000);
  } catch (err) {
    createLogger(config.name ?? "dispenser").warn("controller_not_reachable_yet", { kind: config.kind, err });
  }
  return driver;
}
