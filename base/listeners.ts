// Telling listeners about an event, as every device driver and twin does: each listener in turn,
// over a copy of the set (one may unsubscribe while it is told); one that throws is logged and the
// others are still told — a bad listener never stops a device's events.
import type { Logger } from "./log.ts";

export function notifyListeners<E extends { readonly type: string }>(listeners: ReadonlySet<(e: E) => void>, e: E, log: Logger): void {
  for (const l of [...listeners]) {
    try {
      l(e);
    } catch (err) {
      log.error("listener_failed", { event: e.type, err });
    }
  }
}
