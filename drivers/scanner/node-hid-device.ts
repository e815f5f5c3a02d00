// Finds and opens a scanner with node-hid. node-hid is a native module that needs libusb/hidraw at
// run time, so it is imported lazily: a kiosk without a HID scanner never loads it, and a missing
// library becomes an open failure the hot-plug loop logs and retries, not a crash at start-up.
import { AgentError } from "../../base/errors.ts";
import type { HidDeviceLike, HidReportFormat } from "./hid-scanner.ts";

export type HidSelector =
  | { readonly vendorId: number; readonly productId: number; readonly path?: undefined }
  | { readonly path: string; readonly vendorId?: undefined; readonly productId?: undefined };

const POS_USAGE_PAGE = 0x8c;
const GENERIC_DESKTOP = 0x01;
const KEYBOARD_USAGE = 0x06;

/**
 * Resolves undefined while no matching device is plugged in. A composite scanner exposes several
 * interfaces under one vendor/product id; the one whose usage matches the report format is chosen.
 */
export function nodeHidOpener(selector: HidSelector, format: HidReportFormat): () => Promise<HidDeviceLike | undefined> {
  return async () => {
    let hid: typeof import("node-hid");
    let devices: Awaited<ReturnType<typeof hid.devicesAsync>>;
    try {
      hid = await import("node-hid");
      // The native binding (and libusb behind it) is loaded on first use, here.
      devices = await hid.devicesAsync();
    } catch (error) {
      throw new AgentError("DEVICE_DISCONNECTED", `node-hid is not usable here (libusb/hidraw missing?): ${(error as Error).message}`, {}, { cause: error });
    }
    const candidates = devices.filter((d) =>
      selector.path !== undefined ? d.path === selector.path : d.vendorId === selector.vendorId && d.productId === selector.productId,
    );
    const preferred =
      candidates.find((d) => (format === "hid-pos" ? d.usagePage === POS_USAGE_PAGE : d.usagePage === GENERIC_DESKTOP && d.usage === KEYBOARD_USAGE)) ?? candidates[0];
    if (preferred?.path === undefined) return undefined;
    try {
      return await hid.HIDAsync.open(preferred.path);
    } catch (error) {
      throw new AgentError("DEVICE_DISCONNECTED", `cannot open HID device ${preferred.path}: ${(error as Error).message}`, { path: preferred.path }, { cause: error });
    }
  };
}
