// Health of the station's devices and links as the technician sees it (status, top, metrics):
// ok, degraded (configured but not reachable right now — retried in the background, never
// fatal) or absent (not configured). Changes are published on the watch stream.
import { Subject } from "rxjs";
import type { Logger } from "../log.ts";
import type { DeviceHealth, DeviceName } from "./sockets/control.ts";

export class DeviceHealthBoard {
  readonly changes$ = new Subject<DeviceHealth>();
  private readonly devices = new Map<DeviceName, DeviceHealth>();

  constructor(
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {}

  set(device: DeviceName, kind: string, state: DeviceHealth["state"], detail?: string): void {
    const prev = this.devices.get(device);
    if (prev && prev.state === state && prev.kind === kind && prev.detail === detail) return;
    const next: DeviceHealth = { device, kind, state, since: prev?.state === state ? prev.since : this.now(), ...(detail !== undefined ? { detail } : {}) };
    this.devices.set(device, next);
    if (prev?.state !== state) {
      const log = state === "degraded" ? this.logger.warn : this.logger.info;
      log("device-health", { device, kind, state, ...(detail !== undefined ? { detail } : {}) });
    }
    this.changes$.next(next);
  }

  list(): readonly DeviceHealth[] {
    return [...this.devices.values()];
  }
}
