// A stand-in for node-hid's HIDAsync (there is no USB scanner here): it replays recorded report
// bytes and can be "unplugged" the way node-hid reports it — an 'error' event from the read loop.
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { HidDeviceLike } from "../../../drivers/scanner/hid-scanner.ts";

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");

/** One report per non-comment line of fixtures/<name>.hex. */
export function recordedReports(name: string): Buffer[] {
  return readFileSync(path.join(FIXTURES, `${name}.hex`), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) => Buffer.from(line.trim(), "hex"));
}

export class FakeHidDevice extends EventEmitter implements HidDeviceLike {
  closed = false;

  replay(reports: readonly Buffer[]): void {
    for (const report of reports) this.emit("data", report);
  }

  unplug(): void {
    this.emit("error", new Error("could not read from HID device"));
  }

  close(): void {
    this.closed = true;
  }
}

/** What `open` finds: the device currently plugged in, if any. */
export class FakeHidBus {
  plugged: FakeHidDevice | undefined;
  opens = 0;

  plug(): FakeHidDevice {
    this.plugged = new FakeHidDevice();
    return this.plugged;
  }

  readonly open = async (): Promise<HidDeviceLike | undefined> => {
    this.opens += 1;
    return this.plugged;
  };
}
