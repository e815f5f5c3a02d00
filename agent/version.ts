// The agent's version: defined at build time in the production bundle (scripts/build.mjs), read
// from package.json when the sources run through tsx. One place, so `glase-agent --version`,
// `ctl status`, backups and the daemon's log all say the same.
import { readFileSync } from "node:fs";

/** Defined by `npm run build` (scripts/build.mjs); the bundle no longer sits two levels below package.json. */
declare const GLASE_AGENT_VERSION: string | undefined;

let cached: string | undefined;

export function agentVersion(): string {
  if (typeof GLASE_AGENT_VERSION === "string") return GLASE_AGENT_VERSION;
  if (cached !== undefined) return cached;
  try {
    cached = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    cached = "unknown";
  }
  return cached;
}
