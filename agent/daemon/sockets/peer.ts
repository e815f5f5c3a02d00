// Who is at the other end of a technician socket. The kernel records the connecting process's
// pid/uid/gid (SO_PEERCRED); Node has no API for it, so native/peer-credentials (an optional
// 40-line addon built with the other native modules) reads it from the socket's descriptor. Where
// the addon is not built, the agent still knows the socket (admin.sock: root or its own user) and
// what the CLI says about itself (`from`, the OS user it runs as) — marked as claimed.
import { createRequire } from "node:module";
import type { Socket } from "node:net";
import { userInfo } from "node:os";

export interface PeerCredentials {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}

type Addon = { peerCredentials(fd: number): PeerCredentials };

let addon: Addon | null | undefined;

function load(): Addon | null {
  if (addon === undefined) {
    try {
      addon = createRequire(import.meta.url)("glase-peer-credentials") as Addon;
    } catch {
      addon = null;
    }
  }
  return addon;
}

/** True when the kernel's peer credentials can be read on this build. */
export function peerCredentialsAvailable(): boolean {
  return load() !== null;
}

/** The connecting process's credentials, or undefined where they cannot be read. */
export function peerCredentials(socket: Socket): PeerCredentials | undefined {
  const a = load();
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (!a || typeof fd !== "number" || fd < 0) return undefined;
  try {
    return a.peerCredentials(fd);
  } catch {
    return undefined;
  }
}

/** What a client says about itself (never trusted for permissions; recorded for the audit trail). */
export interface ClaimedIdentity {
  readonly user?: string;
  readonly uid?: number;
  readonly pid?: number;
  /** The user who ran sudo, when the CLI runs under sudo. */
  readonly sudoUser?: string;
}

const NAME = /^[A-Za-z0-9._@-]{1,64}$/;

/** Validates the optional `from` of a request; anything malformed is dropped, never an error. */
export function claimedIdentity(from: unknown): ClaimedIdentity | undefined {
  if (typeof from !== "object" || from === null || Array.isArray(from)) return undefined;
  const f = from as Record<string, unknown>;
  const int = (v: unknown) => (typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : undefined);
  const name = (v: unknown) => (typeof v === "string" && NAME.test(v) ? v : undefined);
  const out = { user: name(f.user), uid: int(f.uid), pid: int(f.pid), sudoUser: name(f.sudoUser) };
  const clean = Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as ClaimedIdentity;
  return Object.keys(clean).length > 0 ? clean : undefined;
}

/** The CLI's own identity, sent as `from` with admin requests. */
export function ownIdentity(env: Readonly<Record<string, string | undefined>> = process.env): ClaimedIdentity {
  let user = env.USER ?? env.LOGNAME;
  try {
    user ??= userInfo().username;
  } catch {
    /* a uid without a passwd entry: no name */
  }
  return claimedIdentity({ user, uid: process.getuid?.(), pid: process.pid, sudoUser: env.SUDO_USER }) ?? {};
}
