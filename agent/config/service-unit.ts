// Where the installed service keeps its state, for commands run outside it. Under systemd the
// daemon learns its state directory from $STATE_DIRECTORY (the unit's StateDirectory=); a
// technician's `glase-agent register` run while the agent is stopped has no such variable, and
// writing under its current directory would store credentials the service never reads. So when
// the config given is the one the installed unit runs (its ExecStart `--config`), the command
// resolves paths exactly as the service will: StateDirectory= under /var/lib, relative paths
// against the unit's WorkingDirectory= (default /).
//
// The unit is read like systemd reads it: the first glase-agent.service in the unit search path,
// then its drop-ins (*.conf in glase-agent.service.d/, by file name; an empty assignment resets a
// list). $GLASE_AGENT_UNIT names another unit file (a site running it under another name).
// Without an installed unit the shipped unit's values apply (test/config/service-unit.test.ts
// keeps them equal to systemd/glase-agent.service).
import { readdirSync, readFileSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";

export const UNIT_NAME = "glase-agent.service";
const UNIT_SEARCH_PATH = ["/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"];
/** systemd's base for StateDirectory= of a system service. */
export const SYSTEM_STATE_ROOT = "/var/lib";

export interface ServiceUnit {
  /** The `--config` of ExecStart (absolute, as the service sees it). */
  readonly configFile: string;
  /** First entry of StateDirectory=, relative to /var/lib. */
  readonly stateDirectory?: string;
  readonly workingDirectory: string;
  /** The unit file it was read from, or "shipped defaults". */
  readonly source: string;
  /** The unit is masked (a link to /dev/null, or empty): systemd will not run it, and it says nothing. */
  readonly masked?: boolean;
}

/** What systemd/glase-agent.service says (used when no unit is installed). */
export const SHIPPED_UNIT: ServiceUnit = {
  configFile: "/etc/glase-agent/config.yaml",
  stateDirectory: "glase-agent",
  workingDirectory: "/",
  source: "shipped defaults",
};

type Env = Readonly<Record<string, string | undefined>>;

interface Settings {
  execStart?: string;
  stateDirectory: string[];
  workingDirectory?: string;
}

/** Applies the [Service] assignments of one unit file or drop-in to `into`. */
export function applyUnitText(text: string, into: Settings): void {
  let section = "";
  const lines = text.replace(/\\\r?\n/g, " ").split(/\r?\n/);
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    if (section !== "Service") continue;
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === "ExecStart") into.execStart = value === "" ? undefined : value;
    else if (key === "StateDirectory") into.stateDirectory = value === "" ? [] : [...into.stateDirectory, ...value.split(/\s+/)];
    else if (key === "WorkingDirectory") into.workingDirectory = value === "" ? undefined : value;
  }
}

/** `--config FILE`, `--config=FILE` or `-c FILE` of an ExecStart line. */
export function configOfExecStart(execStart: string): string | undefined {
  const words = execStart.replace(/^[@\-:+!]+/, "").split(/\s+/);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if ((w === "--config" || w === "-c") && words[i + 1]) return unquote(words[i + 1]!);
    if (w.startsWith("--config=")) return unquote(w.slice("--config=".length));
  }
  return undefined;
}

function unquote(s: string): string {
  return s.replace(/^(["'])(.*)\1$/, "$2");
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** The installed unit (search path + drop-ins), or undefined when none is installed. */
export function readInstalledUnit(env: Env = process.env, searchPath: readonly string[] = UNIT_SEARCH_PATH): ServiceUnit | undefined {
  const explicit = env.GLASE_AGENT_UNIT;
  const candidates = explicit ? [explicit] : searchPath.map((d) => join(d, UNIT_NAME));
  for (const file of candidates) {
    const text = readText(file);
    if (text === undefined) continue;
    // systemd: a unit file linked to /dev/null or empty is masked; it neither runs nor configures anything.
    if (text.trim() === "" || realPath(file) === "/dev/null") return { configFile: SHIPPED_UNIT.configFile, workingDirectory: "/", source: file, masked: true };
    const settings: Settings = { stateDirectory: [] };
    applyUnitText(text, settings);
    const dropInDirs = explicit ? [`${file}.d`] : searchPath.map((d) => join(d, `${UNIT_NAME}.d`));
    const dropIns = new Map<string, string>();
    for (const dir of [...dropInDirs].reverse()) {
      let names: string[] = [];
      try {
        names = readdirSync(dir).filter((n) => n.endsWith(".conf"));
      } catch {
        continue;
      }
      // A drop-in in a directory earlier in the search path masks one of the same name later.
      for (const n of names) dropIns.set(n, join(dir, n));
    }
    for (const name of [...dropIns.keys()].sort()) applyUnitText(readText(dropIns.get(name)!) ?? "", settings);
    const configFile = settings.execStart ? configOfExecStart(settings.execStart) : undefined;
    return {
      configFile: configFile ?? SHIPPED_UNIT.configFile,
      ...(settings.stateDirectory[0] !== undefined ? { stateDirectory: settings.stateDirectory[0].split(":")[0]! } : {}),
      workingDirectory: settings.workingDirectory?.replace(/^-/, "") ?? "/",
      source: file,
    };
  }
  return undefined;
}

function realPath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

function samePath(a: string, b: string): boolean {
  return realPath(a) === realPath(b);
}

/**
 * The environment and working directory the service would run `configFile` with, when the
 * installed (or shipped) unit runs that config; undefined when it is not the service's config
 * (a developer's or a test's config: paths resolve as for `glase-agent run` right here).
 */
export function serviceContextFor(
  configFile: string,
  env: Env = process.env,
  opts: { readonly searchPath?: readonly string[]; readonly stateRoot?: string } = {},
): { readonly env: Env; readonly cwd: string; readonly unit: ServiceUnit } | undefined {
  const unit = readInstalledUnit(env, opts.searchPath) ?? SHIPPED_UNIT;
  if (!samePath(configFile, unit.configFile)) return undefined;
  const stateRoot = opts.stateRoot ?? SYSTEM_STATE_ROOT;
  return {
    env: { ...env, ...(unit.stateDirectory !== undefined ? { STATE_DIRECTORY: join(stateRoot, unit.stateDirectory) } : {}) },
    cwd: unit.workingDirectory,
    unit,
  };
}
