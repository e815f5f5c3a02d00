// What `DeviceAllow=` line a configured device node needs, read from this machine: the node's
// major number, and the drivers /proc/devices lists for that major.
//
// A class (`char-ttyUSB`) is systemd's grant of a whole major number — every minor. That is the
// right grant where the major belongs to one driver (ttyUSB, ttyACM, hidraw): a replugged adapter
// that comes back as ttyUSB1 still works. Where several drivers share the major (4: `/dev/vc/0`,
// `tty`, `ttyS` — the virtual consoles tty0–63 and the UARTs), a class would grant them all, so
// the node itself is granted instead (systemd resolves it to its major:minor when the service
// starts; a built-in UART does not re-enumerate). A node that is not there (unplugged) is
// classed by its kernel name where that name owns its major, and otherwise refused with a
// message saying so — never guessed.
import { realpathSync, readFileSync, statSync } from "node:fs";
import type { DeviceAllowOf } from "./unit-dropin.ts";

/** Kernel names whose driver has a major number of its own (a class grants nothing else). */
const OWN_MAJOR: ReadonlyArray<readonly [RegExp, string]> = [
  [/^ttyUSB\d+$/, "ttyUSB"],
  [/^ttyACM\d+$/, "ttyACM"],
  [/^hidraw\d+$/, "hidraw"],
];

/** The class of a kernel device name whose driver owns its major, for a node that is not present. */
export function classFromName(path: string): string | undefined {
  const name = path.replace(/^\/dev\//, "");
  const hit = OWN_MAJOR.find(([re]) => re.test(name));
  return hit ? `char-${hit[1]}` : undefined;
}

/** The drivers /proc/devices lists for a character major. */
export function charDriversOf(major: number, procDevices: string): string[] {
  const section = /Character devices:\n([\s\S]*?)(?:\n\s*\n|$)/.exec(procDevices)?.[1] ?? "";
  return section
    .split("\n")
    .map((l) => /^\s*(\d+)\s+(\S+)\s*$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && Number(m[1]) === major)
    .map((m) => m[2]!);
}

/**
 * The DeviceAllow= specifier for a character device node with this major: `char-NAME` when the
 * major has one driver, else the node itself. Undefined when /proc/devices does not know the major.
 */
export function deviceAllowFor(node: string, major: number, procDevices: string): { readonly allow: string; readonly note?: string } | undefined {
  const drivers = charDriversOf(major, procDevices);
  if (drivers.length === 0) return undefined;
  if (drivers.length === 1) return { allow: `char-${drivers[0]}` };
  return { allow: node, note: `major ${major} is shared by ${drivers.join(", ")}: a class would grant all of them, so only this node` };
}

/** The machine's answer (the node plugged in now, /proc/devices). */
export const deviceAllowOnThisMachine: DeviceAllowOf = (path) => {
  let node: string;
  try {
    node = realpathSync(path);
  } catch {
    const byName = classFromName(path);
    if (byName) return { allow: byName, node: path, note: "not present now: class from its kernel name" };
    return { problem: `${path} does not exist — is the device unplugged, or its udev rule (systemd/99-glase-agent.rules) not installed? Plug it in and run this again` };
  }
  const st = statSync(node);
  if (!st.isCharacterDevice()) return { problem: `${path}${node !== path ? ` → ${node}` : ""} is not a character device` };
  const major = Math.floor(st.rdev / 256) & 0xfff;
  const found = deviceAllowFor(node, major, readFileSync("/proc/devices", "utf8"));
  if (!found) return { problem: `${node}: major ${major} is not in /proc/devices` };
  return { ...found, node };
};
