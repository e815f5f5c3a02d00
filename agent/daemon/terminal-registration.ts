// What a point's terminal is now, read from its files: the credentials (config or stored), an
// interrupted registration's pending record, an interrupted unregistration's marker. Reading also
// resolves what a finished-but-interrupted `register` or `unregister` left behind (terminals.ts).
import { AgentError, isAgentError } from "../../base/errors.ts";
import type { DurableWriteOptions } from "../../base/io/durable-file.ts";
import type { Logger } from "../../base/log.ts";
import type { TerminalCredentials } from "../../contracts/glase/types.ts";
import { readStoredTerminal, terminalCredentials } from "../config/credentials.ts";
import {
  orphansDir,
  pendingRegistrationPath,
  readPendingRegistration,
  setAsidePending,
  takePendingRegistration,
  type PendingRegistration,
} from "../config/pending-registration.ts";
import { readPendingUnregistration, removePendingUnregistration, type PendingUnregistration } from "../config/pending-unregistration.ts";
import type { PointConfig } from "../config/schema.ts";

/** What the agent can do with a point's terminal right now. */
export type PointRegistration =
  | { readonly kind: "registered"; readonly credentials: TerminalCredentials }
  | { readonly kind: "unregistered" }
  /**
   * A registration was sent and its answer never arrived (the pending record is all we have) —
   * or, `inProgress`, another run is still waiting for it.
   */
  | { readonly kind: "unconfirmed"; readonly pending: PendingRegistration; readonly file: string; readonly inProgress: boolean }
  /** An unregister was sent and its answer never arrived: the terminal may be gone at Glase. */
  | { readonly kind: "unregistering"; readonly marker: PendingUnregistration; readonly credentials?: TerminalCredentials }
  /** Credentials exist but cannot be used (missing file, empty, unreadable, bad mode, not JSON, a link). */
  | { readonly kind: "broken"; readonly problem: string; readonly source: "stored" | "config" | "pending" };

/** The terminals directory, as the register, unregister and read steps share it. */
export interface TerminalFiles {
  readonly dir: string;
  readonly logger: Logger;
  /** Files written as root (a CLI run with sudo) go to the state directory's owner, the service. */
  owner(): Promise<DurableWriteOptions["owner"]>;
}

/**
 * The point's registration, resolving what an interrupted `register` or `unregister` left: a
 * pending record beside a credentials file with the same password is a finished registration
 * (the record is removed); beside other credentials it is set aside as a possible orphan (unless
 * its run is still going). Never throws for a per-point file problem — that is `broken`, and
 * the station shows it with an alarm.
 */
export async function readRegistration(point: PointConfig, files: TerminalFiles, inProgress: (pending: PendingRegistration) => boolean): Promise<PointRegistration> {
  const pointId = point.id;
  const dir = files.dir;
  const marker = await readPendingUnregistration(dir, pointId);
  if (point.terminal !== undefined) {
    let credentials;
    try {
      credentials = await terminalCredentials(point, dir);
    } catch (e) {
      if (!isAgentError(e)) throw e;
      return { kind: "broken", problem: e.message, source: "config" };
    }
    if (marker) return { kind: "unregistering", marker, ...(credentials ? { credentials } : {}) };
    return credentials ? { kind: "registered", credentials } : { kind: "unregistered" };
  }
  let pending: PendingRegistration | undefined;
  let pendingProblem: string | undefined;
  try {
    pending = await readPendingRegistration(dir, pointId);
  } catch (e) {
    if (!isAgentError(e)) throw e;
    pendingProblem = e.message;
  }
  let stored;
  try {
    stored = await readStoredTerminal(dir, pointId);
  } catch (e) {
    if (!isAgentError(e)) throw e;
    return { kind: "broken", problem: e.message, source: "stored" };
  }
  if (marker) {
    if (stored) return { kind: "unregistering", marker, credentials: { terminalId: stored.terminalId, password: stored.password } };
    // The credentials went only after Glase confirmed: all that was left was the marker.
    await removePendingUnregistration(dir, pointId);
  }
  if (stored) {
    if (pending) {
      if (pending.password === stored.password) {
        await takePendingRegistration(dir, pointId, pending, await files.owner());
      } else if (!inProgress(pending)) {
        await setAsidePending(dir, pointId, pending, "pending registration found beside other credentials", await files.owner());
        files.logger.warn("registration-orphan-kept", { point: pointId, externalTerminalId: pending.externalTerminalId, dir: orphansDir(dir) });
      }
    } else if (pendingProblem) {
      files.logger.warn("pending-registration-damaged", { point: pointId, problem: pendingProblem });
    }
    return { kind: "registered", credentials: { terminalId: stored.terminalId, password: stored.password } };
  }
  if (pendingProblem) return { kind: "broken", problem: pendingProblem, source: "pending" };
  if (pending) return { kind: "unconfirmed", pending, file: pendingRegistrationPath(dir, pointId), inProgress: inProgress(pending) };
  return { kind: "unregistered" };
}

export function unregisterPending(pointId: number, marker: PendingUnregistration): AgentError {
  const what = marker.terminalId ? `terminal ${marker.terminalId} (started ${marker.startedAt})` : `its terminal (${marker.damaged ?? "marker unreadable"})`;
  return new AgentError("CONFLICT", `point ${pointId}: an unregister of ${what} got no answer from Glase; run \`glase-agent unregister --point ${pointId}\` again first`, { point: pointId });
}
