// Command target: runs the configured program (argv, no shell) once per alert with the alert as
// JSON on stdin and its essentials in the environment (GLASE_ALERT_EVENT, GLASE_ALARM_CODE,
// GLASE_ALARM_MESSAGE, GLASE_ALARM_POINT, GLASE_STATION, GLASE_ALERT_ID). Exit 0 is delivered;
// anything else — a failure to start, a non-zero exit, a signal, the time limit (the process is
// then killed) — is retried. The program gets a minimal environment: none of the agent's own
// (which may name secret files) and never the webhook's token. Under the unit it runs with the
// unit's restrictions (user, ProtectSystem=strict, SystemCallFilter).
import { spawn } from "node:child_process";
import type { AlertPayload, AlertTarget, DeliveryResult } from "./dispatcher.ts";

export interface CommandOptions {
  readonly argv: readonly string[];
  readonly timeoutMs: number;
}

const OUTPUT_KEPT = 400;

export function commandTarget(o: CommandOptions): AlertTarget {
  const [file, ...args] = o.argv;
  return {
    name: "command",
    deliver(payload: AlertPayload, stop: AbortSignal): Promise<DeliveryResult> {
      return new Promise((resolve) => {
        const env: Record<string, string> = {
          PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
          GLASE_ALERT_ID: payload.id,
          GLASE_ALERT_EVENT: payload.event,
          GLASE_STATION: payload.station,
          GLASE_ALARM_CODE: payload.alarm.code,
          GLASE_ALARM_MESSAGE: payload.alarm.message,
          ...(payload.alarm.point !== undefined ? { GLASE_ALARM_POINT: String(payload.alarm.point) } : {}),
        };
        let output = "";
        let settled = false;
        const done = (r: DeliveryResult) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(r);
        };
        const child = spawn(file!, args, { env, stdio: ["pipe", "ignore", "pipe"], signal: stop, killSignal: "SIGKILL" });
        const timer = setTimeout(() => {
          child.kill("SIGKILL");
          done({ ok: false, retry: true, reason: `${file}: killed after ${o.timeoutMs} ms` });
        }, o.timeoutMs);
        child.stderr!.setEncoding("utf8");
        child.stderr!.on("data", (d: string) => (output = (output + d).slice(-OUTPUT_KEPT)));
        child.once("error", (e: NodeJS.ErrnoException) => done({ ok: false, retry: true, reason: `${file}: cannot run (${e.code ?? e.message})` }));
        child.once("close", (code, signal) => {
          if (code === 0) return done({ ok: true });
          const tail = output.trim().split("\n").at(-1);
          done({ ok: false, retry: true, reason: `${file}: ${signal ? `killed by ${signal}` : `exit ${code}`}${tail ? `: ${tail}` : ""}` });
        });
        // A program that does not read its stdin must not fail the delivery.
        child.stdin!.on("error", () => undefined);
        child.stdin!.end(JSON.stringify(payload) + "\n");
      });
    },
  };
}
