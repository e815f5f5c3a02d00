// Where the agent keeps things. Under systemd the unit's StateDirectory/RuntimeDirectory arrive as
// $STATE_DIRECTORY/$RUNTIME_DIRECTORY; outside it (npm start, a developer's shell) everything goes
// under ./.glase/ of the working directory, which is also where `glase-agent ctl` looks by default,
// so the technician commands work unchanged against a local run. Relative paths in the config are
// resolved against the working directory.
import { join, resolve } from "node:path";
import { AgentError } from "../../base/errors.ts";
import type { AgentConfig } from "./schema.ts";
import { serviceContextFor } from "./service-unit.ts";

export interface AgentPaths {
  readonly stateDir: string;
  readonly journal: string;
  readonly socketsDir: string;
  /** Terminal credentials written by `glase-agent register`. */
  readonly terminalsDir: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** systemd may pass several directories separated by ':'; ours is the first. */
function firstDir(value: string | undefined): string | undefined {
  const first = value?.split(":")[0];
  return first ? first : undefined;
}

export function defaultSocketsDir(env: Env = process.env, cwd = process.cwd()): string {
  return resolve(cwd, firstDir(env.RUNTIME_DIRECTORY) ?? ".glase/run");
}

export function defaultStateDir(env: Env = process.env, cwd = process.cwd()): string {
  return resolve(cwd, firstDir(env.STATE_DIRECTORY) ?? ".glase/state");
}

export function resolvePaths(config: AgentConfig, env: Env = process.env, cwd = process.cwd()): AgentPaths {
  const stateDir = config.stateDir ? resolve(cwd, config.stateDir) : defaultStateDir(env, cwd);
  return {
    stateDir,
    journal: config.journal.path ? resolve(cwd, config.journal.path) : join(stateDir, "journal.sqlite"),
    socketsDir: config.sockets.dir ? resolve(cwd, config.sockets.dir) : defaultSocketsDir(env, cwd),
    terminalsDir: join(stateDir, "terminals"),
  };
}

/**
 * Paths for a command run outside the daemon (`register`, `unregister`, `assign-id` while the
 * agent is stopped): if `configFile` is the installed service's config, exactly the paths the
 * service will use (its StateDirectory, not this shell's working directory); otherwise the paths
 * `glase-agent run --config configFile` would use from here.
 */
export function resolveCommandPaths(config: AgentConfig, configFile: string, env: Env = process.env, cwd = process.cwd()): AgentPaths {
  if (env.STATE_DIRECTORY) return resolvePaths(config, env, cwd);
  const service = serviceContextFor(resolve(cwd, configFile), env);
  if (!service) return resolvePaths(config, env, cwd);
  if (!config.stateDir && service.unit.stateDirectory === undefined) {
    // Without StateDirectory= the paths would fall under the unit's working directory (/.glase/state):
    // not where any running service keeps its terminals.
    const why = service.unit.masked ? `${service.unit.source} is masked (systemd will not run it)` : `${service.unit.source} has no StateDirectory=`;
    throw new AgentError(
      "CONFLICT",
      `${why}, so there is no service state directory to write into. Unmask/fix the unit (systemctl unmask glase-agent), or set stateDir in ${configFile}`,
      { unit: service.unit.source },
    );
  }
  return resolvePaths(config, service.env, service.cwd);
}
