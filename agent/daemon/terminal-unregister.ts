// Unregistering a point's terminal (contract §3.3), crash-safe: the marker is durable before the
// request leaves (config/pending-unregistration.ts), so a lost answer leaves the point out of
// service until `unregister` is run again — and a retry that Glase answers "unknown terminal" is
// the earlier request having taken effect. Credentials are kept in orphans/, never just deleted.
import { AgentError } from "../../base/errors.ts";
import type { GlaseApi } from "../../contracts/glase/types.ts";
import { certainlyNotDone, isGlaseError, isTransportError } from "../glase/errors.ts";
import { readStoredTerminal, removeStoredTerminal } from "../config/credentials.ts";
import { keepOrphan } from "../config/pending-registration.ts";
import { pendingUnregistrationPath, removePendingUnregistration, writePendingUnregistration } from "../config/pending-unregistration.ts";
import type { PointConfig } from "../config/schema.ts";
import type { PointRegistration, TerminalFiles } from "./terminal-registration.ts";

export async function unregisterPoint(point: PointConfig, glase: GlaseApi, files: TerminalFiles, registration: () => Promise<PointRegistration>): Promise<void> {
  const pointId = point.id;
  const dir = files.dir;
  const owner = await files.owner();
  const reg = await registration();
  if (reg.kind === "broken") throw new AgentError("CONFIG_INVALID", reg.problem, { point: pointId });
  const retry = reg.kind === "unregistering";
  const creds = reg.kind === "registered" || reg.kind === "unregistering" ? reg.credentials : undefined;
  if (!creds) throw new AgentError("CONFLICT", `point ${pointId} has no registered terminal`, { point: pointId });
  // Durable before the request leaves: a lost answer must not leave the point stuck.
  if (!retry) await writePendingUnregistration(dir, pointId, { terminalId: creds.terminalId, startedAt: new Date().toISOString() }, owner);
  try {
    await glase.unregisterTerminal(creds);
  } catch (e) {
    if (retry && (isGlaseError(e, 29) || isGlaseError(e, 33))) {
      // Glase no longer knows the terminal (or it is unusable): the earlier unregister, whose
      // answer was lost, took effect. The credentials are kept in orphans/, not just deleted.
      if (point.terminal === undefined) {
        const stored = await readStoredTerminal(dir, pointId);
        if (stored) {
          await keepOrphan(dir, pointId, "unregistered", stored, `unregister retried; Glase answered ${e.resultCode} ${e.resultName}`, owner);
          await removeStoredTerminal(dir, pointId);
        }
      }
      await removePendingUnregistration(dir, pointId);
      files.logger.warn("terminal-already-unregistered", { point: pointId, terminalId: creds.terminalId, resultCode: e.resultCode });
      return;
    }
    if (!retry && certainlyNotDone(e)) {
      await removePendingUnregistration(dir, pointId); // refused or never sent: nothing changed at Glase
      throw e;
    }
    if (isTransportError(e) && e.indefinite) {
      throw new AgentError(
        "GLASE_TRANSPORT",
        `unregisterTerminal for point ${pointId} got no usable answer (${e.message}): terminal ${creds.terminalId} may be gone at Glase. The point stays out of service; run \`glase-agent unregister --point ${pointId}\` again`,
        { point: pointId, marker: pendingUnregistrationPath(dir, pointId) },
        { cause: e },
      );
    }
    throw e;
  }
  if (point.terminal === undefined) await removeStoredTerminal(dir, pointId);
  await removePendingUnregistration(dir, pointId);
  files.logger.info("terminal-unregistered", { point: pointId, terminalId: creds.terminalId });
}
