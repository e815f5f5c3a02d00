// sd_notify. Node has no unix datagram sockets, so the datagram leaves this process through the
// optional native module `unix-dgram` (loaded lazily; it needs a compiler at install time).
//
// Fallback: when unix-dgram cannot load (a host without build-essential/python3), or
// NOTIFY_SOCKET is an abstract name (`@…`, which unix-dgram cannot address: it copies the path
// with strncpy and passes sizeof(sockaddr_un)), we run `/usr/bin/systemd-notify VAR=VALUE…`.
// That helper is another process, a child of ours: systemd takes its messages because the shipped
// unit says NotifyAccess=all (NotifyAccess=main refused them: READY never arrived and the start
// timed out in a loop), and systemd-notify (systemd ≥ 246) waits until systemd has read each
// message, so none is lost to the helper exiting first. The fallback is logged as a warning at
// start: it costs a process per message (a WATCHDOG=1 every WatchdogSec/2).
// No NOTIFY_SOCKET (not under systemd, `npm start`) → every call is a silent no-op.
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { createLogger, type Logger } from "../../base/log.ts";

export type NotifyTransport = "unix-dgram" | "systemd-notify" | "off";

export interface Notifier {
  readonly transport: NotifyTransport;
  /** Sends `KEY=VALUE` lines as one datagram; never throws (a failed notification is logged). */
  send(fields: Readonly<Record<string, string>>): Promise<void>;
  ready(status?: string): Promise<void>;
  status(text: string): Promise<void>;
  watchdog(): Promise<void>;
  stopping(status?: string): Promise<void>;
  /** RELOADING=1 with MONOTONIC_USEC (systemd ≥ 253 Type=notify-reload wants it; harmless before). */
  reloading(): Promise<void>;
  close(): void;
}

interface DgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb: (err?: Error) => void): void;
  on(event: "error", listener: (err: Error) => void): void;
  close(): void;
}
interface UnixDgramModule {
  createSocket(type: "unix_dgram"): DgramSocket;
}

export interface NotifierOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Skip unix-dgram (tests of the fallback). */
  readonly forceFallback?: boolean;
  readonly systemdNotifyPath?: string;
  readonly logger?: Logger;
}

/** CLOCK_MONOTONIC in microseconds (libuv's hrtime is CLOCK_MONOTONIC on Linux). */
export function monotonicUsec(): string {
  return (process.hrtime.bigint() / 1000n).toString();
}

/** One datagram: KEY=VALUE lines; newlines inside a value would split it, so they become spaces. */
export function formatNotification(fields: Readonly<Record<string, string>>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${v.replace(/\n/g, " ")}`)
    .join("\n");
}

function loadUnixDgram(): UnixDgramModule | undefined {
  try {
    // createRequire: the module is CommonJS and native; a failed build must not break startup.
    return createRequire(import.meta.url)("unix-dgram") as UnixDgramModule;
  } catch {
    return undefined;
  }
}

function notifierFrom(transport: NotifyTransport, sendRaw: (message: string) => Promise<void>, close: () => void, log: Logger): Notifier {
  const send = async (fields: Readonly<Record<string, string>>) => {
    if (transport === "off") return;
    try {
      await sendRaw(formatNotification(fields));
    } catch (e) {
      log.warn("notify-failed", { transport, fields: Object.keys(fields).join(","), error: e });
    }
  };
  return {
    transport,
    send,
    ready: (status) => send(status === undefined ? { READY: "1" } : { READY: "1", STATUS: status }),
    status: (text) => send({ STATUS: text }),
    watchdog: () => send({ WATCHDOG: "1" }),
    stopping: (status) => send(status === undefined ? { STOPPING: "1" } : { STOPPING: "1", STATUS: status }),
    reloading: () => send({ RELOADING: "1", MONOTONIC_USEC: monotonicUsec() }),
    close,
  };
}

export function createNotifier(options: NotifierOptions = {}): Notifier {
  const env = options.env ?? process.env;
  const log = options.logger ?? createLogger("notify");
  const socketPath = env.NOTIFY_SOCKET;
  if (!socketPath) return notifierFrom("off", async () => {}, () => {}, log);

  const abstract = socketPath.startsWith("@");
  const dgram = options.forceFallback || abstract ? undefined : loadUnixDgram();
  if (dgram) {
    const socket = dgram.createSocket("unix_dgram");
    socket.on("error", (e) => log.warn("notify-socket-error", { error: e }));
    const sendRaw = (message: string) =>
      new Promise<void>((resolve, reject) => {
        const buf = Buffer.from(message);
        socket.send(buf, 0, buf.length, socketPath, (err) => (err ? reject(err) : resolve()));
      });
    return notifierFrom("unix-dgram", sendRaw, () => socket.close(), log);
  }

  const binary = options.systemdNotifyPath ?? "/usr/bin/systemd-notify";
  const childEnv = { ...process.env, ...env, NOTIFY_SOCKET: socketPath };
  const sendRaw = (message: string) =>
    new Promise<void>((resolve, reject) => {
      execFile(binary, message.split("\n"), { env: childEnv, timeout: 5_000 }, (err) => (err ? reject(err) : resolve()));
    });
  log.warn("notify-fallback", {
    reason: abstract ? "abstract socket" : "the native module unix-dgram is not built",
    binary,
    impact: "each sd_notify message runs systemd-notify (needs NotifyAccess=all, as the shipped unit has)",
    ...(abstract ? {} : { fix: "install build-essential and python3, then npm rebuild unix-dgram" }),
  });
  return notifierFrom("systemd-notify", sendRaw, () => {}, log);
}
