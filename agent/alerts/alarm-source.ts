// What the alerting hook listens to: alarms being raised and cleared. A small interface so the
// hook does not care where alarms come from — today the station's event stream (engine alarms and
// the station's own start alarms, `events$` type "alarm", which are raised and never cleared);
// later the station's one alarm book, which knows clearing and acknowledgement too.
import type { Observable } from "rxjs";
import type { AlarmInfo } from "../engine-api.ts";

export interface AlarmTransition {
  readonly kind: "raised" | "cleared";
  readonly alarm: AlarmInfo;
  /** When it was raised or cleared (ms since the epoch). */
  readonly at: number;
}

export interface AlarmSource {
  /** Calls `listener` for every transition from now on; returns the unsubscribe. */
  subscribe(listener: (t: AlarmTransition) => void): () => void;
}

/** The alarms of an event stream of `{type: "alarm", alarm}` events (the station's `events$`). */
export function alarmSourceOf(events$: Observable<{ readonly type: string; readonly alarm?: AlarmInfo }>, now: () => number = Date.now): AlarmSource {
  return {
    subscribe(listener) {
      const sub = events$.subscribe((e) => {
        if (e.type === "alarm" && e.alarm) listener({ kind: "raised", alarm: e.alarm, at: e.alarm.at ?? now() });
      });
      return () => sub.unsubscribe();
    },
  };
}
