// The systemd drop-in a site's configuration needs: the shipped unit grants no device and no
// writable path beyond its own directories (DevicePolicy=closed, ProtectSystem=strict), so each
// configured device gets exactly its device class, and a `file` printer the directory it appends
// to. `glase-agent config unit-dropin FILE` prints it (docs/install.md §3).
//
// Device classes, not node paths: systemd resolves `DeviceAllow=/dev/ttyUSB0` to its major:minor
// when the service starts, so an adapter that re-enumerates as ttyUSB1 after a replug would be
// locked out until a restart; `char-ttyUSB` (the driver's major, /proc/devices) survives that and
// still excludes every other kind of device.
import { dirname, resolve } from "node:path";
import { AgentError } from "../errors.ts";
import type { AgentConfig } from "./schema.ts";

export interface DeviceNeed {
  /** `char-ttyUSB`, `char-hidraw`, … */
  readonly deviceClass: string;
  /** Which config key asked for it, and the node it resolved to. */
  readonly why: string;
}

export interface UnitDropin {
  readonly devices: readonly DeviceNeed[];
  readonly readWritePaths: ReadonlyArray<{ readonly path: string; readonly why: string }>;
}

/** Resolves a device node to its DeviceAllow class; undefined when it cannot tell. */
export type DeviceClassOf = (path: string) => { readonly deviceClass: string; readonly node: string } | undefined;

/** The class of a kernel device name, for nodes that are not present (unplugged) on this machine. */
export function classFromName(path: string): string | undefined {
  const name = path.replace(/^\/dev\//, "");
  if (/^ttyUSB\d+$/.test(name)) return "char-ttyUSB";
  if (/^ttyACM\d+$/.test(name)) return "char-ttyACM";
  if (/^ttyS\d+$/.test(name)) return "char-ttyS";
  if (/^ttyAMA\d+$/.test(name)) return "char-ttyAMA";
  if (/^hidraw\d+$/.test(name)) return "char-hidraw";
  if (/^usb\/lp\d+$/.test(name)) return "char-usb";
  return undefined;
}

export function unitDropin(config: AgentConfig, classOf: DeviceClassOf, cwd = "/"): UnitDropin {
  const devices: DeviceNeed[] = [];
  const problems: string[] = [];
  const need = (key: string, path: string) => {
    const found = classOf(path);
    if (!found) {
      problems.push(`${key}: cannot tell the device class of ${path} (not present and not a ttyUSB/ttyACM/ttyS/hidraw/usb/lp name); plug the device in and run this again, or write DeviceAllow= yourself`);
      return;
    }
    devices.push({ deviceClass: found.deviceClass, why: `${key} ${path}${found.node !== path ? ` → ${found.node}` : ""}` });
  };
  const { dispenser, printer, scanner } = config.devices;
  if (dispenser.kind === "serial") need("devices.dispenser.path", dispenser.path);
  if (printer?.kind === "serial" || printer?.kind === "device") need("devices.printer.path", printer.path);
  if (scanner?.kind === "serial") need("devices.scanner.path", scanner.path);
  // node-hid opens hidraw nodes on Linux (its default hidraw backend), whatever the vendor/product.
  if (scanner?.kind === "hid") devices.push({ deviceClass: "char-hidraw", why: `devices.scanner (hid ${scanner.vendorId.toString(16).padStart(4, "0")}:${scanner.productId.toString(16).padStart(4, "0")})` });
  if (problems.length > 0) throw new AgentError("CONFIG_INVALID", problems.join("; "), { problems });
  const readWritePaths = printer?.kind === "file" ? [{ path: dirname(resolve(cwd, printer.path)), why: `devices.printer.path ${printer.path} (file printer)` }] : [];
  // One line per class, naming every key that needs it.
  const merged = new Map<string, string[]>();
  for (const d of devices) merged.set(d.deviceClass, [...(merged.get(d.deviceClass) ?? []), d.why]);
  return { devices: [...merged].map(([deviceClass, whys]) => ({ deviceClass, why: whys.join("; ") })), readWritePaths };
}

export function renderDropin(d: UnitDropin, configFile: string): string {
  const lines = [
    `# /etc/systemd/system/glase-agent.service.d/site.conf — written by \`glase-agent config unit-dropin ${configFile}\`.`,
    "# The devices and writable paths this site's configuration needs; nothing else is granted.",
    "# Install: sudo systemctl edit glase-agent (or copy this file there), then restart the agent.",
    "[Service]",
  ];
  for (const dev of d.devices) lines.push(`# ${dev.why}`, `DeviceAllow=${dev.deviceClass} rw`);
  for (const p of d.readWritePaths) lines.push(`# ${p.why}`, `ReadWritePaths=${p.path}`);
  if (d.devices.length === 0 && d.readWritePaths.length === 0) lines.push("# (no local device and no file printer configured: nothing to add)");
  return lines.join("\n") + "\n";
}
