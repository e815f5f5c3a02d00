// A Logger that keeps its lines in memory (formatted exactly like agent/log.ts, redaction
// included) so tests stay quiet and can assert what would have been logged.
import { formatLine, type Logger, type LogLevel } from "../../agent/log.ts";

export function captureLogger(component = "glase.client"): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const make = (name: string): Logger => {
    const emit = (level: LogLevel) => (event: string, fields?: Record<string, unknown>) => {
      lines.push(formatLine(level, name, event, fields));
    };
    return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error"), child: (sub) => make(`${name}.${sub}`) };
  };
  return { logger: make(component), lines };
}
