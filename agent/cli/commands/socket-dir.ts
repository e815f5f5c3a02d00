// Where `glase-agent ctl` finds the agent's sockets: --socket-dir, else systemd's
// $RUNTIME_DIRECTORY (set when run from the unit), else ./.glase/run when it exists (a local
// `npm start` in this working directory), else /run/glase-agent (the installed service).
import { existsSync } from "node:fs";
import { defaultSocketsDir } from "../../config/paths.ts";

export const SERVICE_SOCKET_DIR = "/run/glase-agent";

export function findSocketDir(flag: string | undefined, env: Readonly<Record<string, string | undefined>> = process.env, cwd = process.cwd()): string {
  if (flag) return flag;
  const local = defaultSocketsDir(env, cwd);
  if (env.RUNTIME_DIRECTORY || existsSync(local)) return local;
  return existsSync(SERVICE_SOCKET_DIR) ? SERVICE_SOCKET_DIR : local;
}
