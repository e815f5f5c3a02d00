// Health of the station's devices and links as the technician sees it (status, top, metrics):
// ok, degraded (configured but not reachable right now — retried in the background, never
// fatal) or absent (not configured). Changes are published on the watch stream.
import { Subject } from "rxjs";
import type { Logger } from "../../base/log.ts";
import type { DeviceHealth, DeviceName } from "./sockets/control.ts";

/** A pump/charger controller's entry (one per devices.controllers[] item). */
export interface ControllerScope {
  readonly controller: string;
  readonly points: readonly number[];
}

export class DeviceHealthBoard {
  readonly changes$ = new Subject<DeviceHealth>();
  private readonly devices = new Map<string, DeviceHealth>();

  constructor(
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {}

  set(device: DeviceName, kind: string, state: DeviceHealth["state"], detail?: string, scope?: ControllerScope): void {
    const key = scope ? `${device}:${scope.controller}` : device;
    const prev = this.devices.get(key);
    if (prev && prev.state === state && prev.kind === kind && prev.detail === detail) return;
    const next: DeviceHealth = { device, kind, state, since: prev?.state === state ? prev.since : this.now(), ...(detail !== undefined ? { detail } : {}), ...(scope ? { controller: scope.controller, points: scope.points } : {}) };
    this.devices.set(key, next);
    if (prev?.state !== state) {
      const log = state === "degraded" ? this.logger.warn : this.logger.info;
      log("device-health", { device, kind, state, ...(detail !== undefined ? { detail } : {}), ...(scope ? { controller: scope.controller } : {}) });
    }
    this.changes$.next(next);
  }

  list(): readonly DeviceHealth[] {
    return [...this.devices.values()];
  }
}
