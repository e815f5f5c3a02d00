// Device-node presence for serial lines. An unplugged USB adapter makes the read fail and
// serialport closes the port, but a tty whose other side vanished (a pty whose peer died, some
// adapters) does not error: the read returns end-of-file forever and serialport retries silently.
// So the owner of a serial port also polls the path it opened: when the path stops resolving to
// the device it resolved to at the start (gone, or a by-id link now pointing elsewhere), the line
// is gone and the owner closes it.
import { realpath } from "node:fs/promises";

/** Calls `gone` once when `path` stops resolving to the device it resolved to at the start. */
export function watchPresence(path: string, everyMs: number, gone: (why: string) => void): { stop(): void } {
  let device: string | undefined;
  let stopped = false;
  void realpath(path).then(
    (p) => (device = p),
    () => undefined,
  );
  const timer = setInterval(() => {
    realpath(path).then(
      (p) => {
        if (device !== undefined && p !== device && !stopped) {
          stopped = true;
          gone(`now points to ${p}`);
        }
      },
      () => {
        if (!stopped) {
          stopped = true;
          gone("vanished");
        }
      },
    );
  }, everyMs);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
