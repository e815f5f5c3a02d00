// Config file versions. Each step turns version N into N+1 on the raw parsed YAML, before
// validation, so an operator's old file keeps working after an upgrade; `glase-agent config
// check` reports which migrations it applied so they can update the file at leisure.
import { AgentError } from "../../base/errors.ts";
import { CURRENT_CONFIG_VERSION } from "./schema.ts";

type Raw = Record<string, unknown>;

interface Migration {
  readonly from: number;
  readonly describe: string;
  apply(raw: Raw): Raw;
}

function isRecord(v: unknown): v is Raw {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function renameKey(obj: unknown, from: string, to: string): void {
  if (isRecord(obj) && from in obj && !(to in obj)) {
    obj[to] = obj[from];
    delete obj[from];
  }
}

const MIGRATIONS: readonly Migration[] = [
  {
    // v1 named the SOAP endpoint `glase.url` and the terminal id `terminal.terminalId`, and gave
    // the preliminary maximum in whole currency units; v2 aligns the names with the wire model and
    // keeps all money in integer minor units.
    from: 1,
    describe: "v1→v2: glase.url→glase.endpoint, points[].terminal.terminalId→id, points[].maxPreliminaryAmount (major units)→maxPreliminaryMinor",
    apply(raw) {
      renameKey(raw.glase, "url", "endpoint");
      if (Array.isArray(raw.points)) {
        for (const p of raw.points) {
          if (!isRecord(p)) continue;
          renameKey(p.terminal, "terminalId", "id");
          if (typeof p.maxPreliminaryAmount === "number" && !("maxPreliminaryMinor" in p)) {
            p.maxPreliminaryMinor = Math.round(p.maxPreliminaryAmount * 100);
            delete p.maxPreliminaryAmount;
          }
        }
      }
      return { ...raw, version: 2 };
    },
  },
  {
    // v2 had room for one controller (devices.dispenser, our line-protocol board) driving every
    // pump and charger; v3 lists controllers of any driver, each with the points it drives.
    from: 2,
    describe: "v2→v3: devices.dispenser→devices.controllers[0] (id: dispenser, driver: line, link or virtual, grades, points: every fuel/ev point)",
    apply(raw) {
      const devices = raw.devices;
      if (isRecord(devices) && isRecord(devices.dispenser) && !("controllers" in devices)) {
        const { kind, grades, flowMilliPerSecond, ...link } = devices.dispenser;
        const points = Array.isArray(raw.points) ? raw.points.filter((p) => isRecord(p) && p.kind !== "kiosk").map((p) => (p as Raw).id) : [];
        const entry: Raw =
          kind === "virtual"
            ? { id: "dispenser", driver: "line", virtual: flowMilliPerSecond === undefined ? {} : { flowMilliPerSecond }, grades, points }
            : { id: "dispenser", driver: "line", link: { kind, ...link }, ...(grades !== undefined ? { grades } : {}), ...(flowMilliPerSecond !== undefined ? { flowMilliPerSecond } : {}), points };
        const { dispenser: _dispenser, ...rest } = devices;
        // A kiosk-only v2 station had to name a dispenser that drove nothing: it has no controller.
        raw.devices = { controllers: points.length > 0 ? [entry] : [], ...rest };
      }
      return { ...raw, version: 3 };
    },
  },
];

export interface MigrationOutcome {
  readonly raw: Raw;
  readonly applied: readonly string[];
}

/** Brings a parsed config document to the current version; errors name the version problem. */
export function migrate(input: Raw): MigrationOutcome {
  const raw: Raw = structuredClone(input);
  const version = raw.version;
  const refuse = (problem: string) => new AgentError("CONFIG_INVALID", problem, { path: "version", problems: [problem] });
  if (version === undefined) throw refuse("version: required");
  if (typeof version !== "number" || !Number.isInteger(version) || version < 1) {
    throw refuse(`version: must be a positive integer, got ${JSON.stringify(version)}`);
  }
  if (version > CURRENT_CONFIG_VERSION) {
    throw refuse(`version: ${version} is newer than this agent understands (${CURRENT_CONFIG_VERSION})`);
  }
  let current = raw;
  const applied: string[] = [];
  for (let v = version; v < CURRENT_CONFIG_VERSION; v++) {
    const step = MIGRATIONS.find((m) => m.from === v);
    if (!step) throw new AgentError("INTERNAL", `no config migration from version ${v}`);
    current = step.apply(current);
    applied.push(step.describe);
  }
  return { raw: current, applied };
}
