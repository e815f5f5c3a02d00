// node-hid for real: there is no USB scanner (and maybe no libusb) here, so what can be checked is
// that the lazily loaded opener fails as a typed, retryable condition and never crashes the agent.
import { describe, expect, it } from "vitest";
import { isAgentError } from "../../../agent/errors.ts";
import type { Logger } from "../../../agent/log.ts";
import type { ScannerStatus } from "../../../drivers/scanner/contract.ts";
import { nodeHidOpener } from "../../../drivers/scanner/node-hid-device.ts";
import { HidBarcodeScanner } from "../../../drivers/scanner/hid-scanner.ts";

describe("node-hid opener", () => {
  it("finds nothing for an absent scanner, or reports node-hid unusable as DEVICE_DISCONNECTED", async () => {
    const open = nodeHidOpener({ vendorId: 0x0c2e, productId: 0x0b61 }, "hid-pos");
    const outcome = await open().then(
      (device) => ({ device }),
      (error: unknown) => ({ error }),
    );
    if ("error" in outcome) expect(isAgentError(outcome.error, "DEVICE_DISCONNECTED")).toBe(true);
    else expect(outcome.device).toBeUndefined();
  });

  it("an absent HID scanner keeps being polled quietly: at most one warning per distinct reason", async () => {
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn: (event) => warnings.push(event), error() {}, child: () => logger };
    const realOpen = nodeHidOpener({ path: "/dev/hidraw-none" }, "keyboard");
    let attempts = 0;
    const scanner = new HidBarcodeScanner({
      format: "keyboard",
      pollIntervalMs: 5,
      logger,
      open: () => {
        attempts += 1;
        return realOpen();
      },
    });
    const statuses: ScannerStatus[] = [];
    scanner.onStatus((s) => statuses.push(s));
    await expect.poll(() => attempts, { timeout: 20_000 }).toBeGreaterThanOrEqual(5);
    await scanner.close();
    expect(warnings.filter((w) => w === "scanner_open_failed").length).toBeLessThanOrEqual(1);
    expect(statuses).toEqual([]);
  });
});
