// The systemd drop-in a site's configuration needs: the shipped unit grants no device and no
// writable path beyond its own directories (DevicePolicy=closed, ProtectSystem=strict), so each
// configured device gets exactly its device class, and a `file` printer the directory it appends
// to. `glase-agent config unit-dropin FILE` prints it (docs/install.md §3).
//
// Device classes where a class grants only that driver: systemd resolves `DeviceAllow=/dev/ttyUSB0`
// to its major:minor when the service starts, so an adapter that re-enumerates as ttyUSB1 after a
// replug would be locked out until a restart; `char-ttyUSB` (the driver's major, /proc/devices)
// survives that and still excludes every other kind of device. Where a major is shared (ttyS with
// the virtual consoles), the node itself (device-allow.ts).
import { dirname, isAbsolute, resolve } from "node:path";
import { AgentError } from "../../base/errors.ts";
import type { AgentConfig } from "./schema.ts";

export interface DeviceNeed {
  /** The DeviceAllow= specifier: a class (`char-ttyUSB`) or, where a class would grant more, the node. */
  readonly allow: string;
  /** Which config key asked for it, and the node it resolved to. */
  readonly why: string;
}

export interface UnitDropin {
  readonly devices: readonly DeviceNeed[];
  readonly readWritePaths: ReadonlyArray<{ readonly path: string; readonly why: string }>;
}

/** What DeviceAllow= a configured device path needs (device-allow.ts reads this machine), or why it cannot tell. */
export type DeviceAllowOf = (path: string) => { readonly allow: string; readonly node: string; readonly note?: string } | { readonly problem: string };

/**
 * The drop-in for `config`. `serviceCwd` is the service's working directory (its unit's
 * WorkingDirectory=, `/` by default): a relative path in the config is resolved there, as the
 * running service resolves it — not against the installer's shell.
 */
export function unitDropin(config: AgentConfig, allowOf: DeviceAllowOf, serviceCwd = "/"): UnitDropin {
  const devices: DeviceNeed[] = [];
  const problems: string[] = [];
  const need = (key: string, path: string) => {
    const found = allowOf(path);
    if ("problem" in found) {
      problems.push(`${key}: ${found.problem}`);
      return;
    }
    devices.push({ allow: found.allow, why: `${key} ${path}${found.node !== path ? ` → ${found.node}` : ""}${found.note ? ` (${found.note})` : ""}` });
  };
  const { controllers, printer, scanner } = config.devices;
  controllers.forEach((c, i) => {
    const link = c.link as { kind?: unknown; path?: unknown } | undefined;
    if (link?.kind === "serial" && typeof link.path === "string") need(`devices.controllers[${i}].link.path`, link.path);
  });
  if (printer?.kind === "serial" || printer?.kind === "device") need("devices.printer.path", printer.path);
  if (scanner?.kind === "serial") need("devices.scanner.path", scanner.path);
  // node-hid opens hidraw nodes on Linux (its default hidraw backend), whatever the vendor/product.
  if (scanner?.kind === "hid") devices.push({ allow: "char-hidraw", why: `devices.scanner (hid ${scanner.vendorId.toString(16).padStart(4, "0")}:${scanner.productId.toString(16).padStart(4, "0")})` });
  if (problems.length > 0) throw new AgentError("CONFIG_INVALID", problems.join("; "), { problems });
  const readWritePaths =
    printer?.kind === "file"
      ? [{ path: dirname(resolve(serviceCwd, printer.path)), why: `devices.printer.path ${printer.path} (file printer${isAbsolute(printer.path) ? "" : `; relative: resolved against the service's working directory ${serviceCwd}`})` }]
      : [];
  // One line per grant, naming every key that needs it.
  const merged = new Map<string, string[]>();
  for (const d of devices) merged.set(d.allow, [...(merged.get(d.allow) ?? []), d.why]);
  return { devices: [...merged].map(([allow, whys]) => ({ allow, why: whys.join("; ") })), readWritePaths };
}

export function renderDropin(d: UnitDropin, configFile: string): string {
  const lines = [
    `# /etc/systemd/system/glase-agent.service.d/site.conf — written by \`sudo glase-agent config unit-dropin ${configFile} --write …\`.`,
    "# The devices and writable paths this site's configuration needs; nothing else is granted.",
    "# Then: sudo systemctl daemon-reload && sudo systemctl restart glase-agent.",
    "[Service]",
  ];
  for (const dev of d.devices) lines.push(`# ${dev.why}`, `DeviceAllow=${dev.allow} rw`);
  for (const p of d.readWritePaths) lines.push(`# ${p.why}`, `ReadWritePaths=${p.path}`);
  if (d.devices.length === 0 && d.readWritePaths.length === 0) lines.push("# (no local device and no file printer configured: nothing to add)");
  return lines.join("\n") + "\n";
}
