// Where `glase-agent ctl` finds the agent's sockets, in this order:
//   1. --socket-dir DIR
//   2. $RUNTIME_DIRECTORY (set by systemd for the unit's own processes)
//   3. /run/glase-agent when it exists (the installed service's RuntimeDirectory; systemd removes
//      it when the service stops)
//   4. ./.glase/run under the working directory (a local `npm start`)
// `ctl status` prints which one it used and why, so a technician never guesses.
import { existsSync } from "node:fs";
import { resolve } from "node:path";

export const SERVICE_SOCKET_DIR = "/run/glase-agent";
export const LOCAL_SOCKET_DIR = ".glase/run";

export type SocketDirSource = "--socket-dir" | "$RUNTIME_DIRECTORY" | "service" | "local";

export interface SocketDirChoice {
  readonly dir: string;
  readonly source: SocketDirSource;
  /** In words, for `ctl status`. */
  readonly why: string;
}

type Env = Readonly<Record<string, string | undefined>>;

export function chooseSocketDir(flag: string | undefined, env: Env = process.env, cwd = process.cwd(), serviceDir = SERVICE_SOCKET_DIR): SocketDirChoice {
  if (flag) return { dir: resolve(cwd, flag), source: "--socket-dir", why: "from --socket-dir" };
  const runtime = env.RUNTIME_DIRECTORY?.split(":")[0];
  if (runtime) return { dir: resolve(cwd, runtime), source: "$RUNTIME_DIRECTORY", why: "from $RUNTIME_DIRECTORY" };
  if (existsSync(serviceDir)) return { dir: serviceDir, source: "service", why: `the service's (${serviceDir} exists)` };
  return { dir: resolve(cwd, LOCAL_SOCKET_DIR), source: "local", why: `local npm start (${serviceDir} does not exist)` };
}

export function findSocketDir(flag: string | undefined, env: Env = process.env, cwd = process.cwd()): string {
  return chooseSocketDir(flag, env, cwd).dir;
}
