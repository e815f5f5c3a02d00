// What the alerting hook listens to: alarms being raised and cleared. A small interface so the
// hook does not care where alarms come from — today the station's event stream (engine alarms and
// the station's own start alarms and the Invoice Service's, `events$` type "alarm") through the
// station's one alarm book (agent/alarms/book.ts), which says when an alarm is raised and cleared.
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
export function alarmSourceOf(events$: Observable<{ readonly type: string; readonly alarm?: AlarmInfo; readonly change?: string }>, now: () => number = Date.now): AlarmSource {
  return {
    subscribe(listener) {
      const sub = events$.subscribe((e) => {
        if (e.type !== "alarm" || !e.alarm) return;
        // The alarm book's changes: a first raise and a clear are what an operator hears about
        // (a repeat or an acknowledgement is not news). A bare alarm event is a raise.
        if (e.change === undefined || e.change === "raised") listener({ kind: "raised", alarm: e.alarm, at: e.alarm.at ?? now() });
        else if (e.change === "cleared") listener({ kind: "cleared", alarm: e.alarm, at: now() });
      });
      return () => sub.unsubscribe();
    },
  };
}
