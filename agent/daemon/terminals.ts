// Terminal lifecycle (contract §3.1–3.3, §6.13): register a point's Glase terminal with the shop
// credentials (RESELLERUSER), bind its Glase ID sticker, unregister it. The password is ours to
// choose: a strong random one, stored with the terminalId 0600 in the state directory and never
// shown or logged. Used by the running agent (admin.sock) and by the standalone CLI commands.
//
// Registration is crash-safe. `registerTerminal` always creates a new terminal and there is no
// lookup, so the password is made durable in a pending record BEFORE the request is sent
// (config/pending-registration.ts); the credentials file is written durably when the answer
// arrives, and only then is the record removed. A lost answer leaves the record: the point is out
// of service with an alarm, and the next `register` sets the attempt aside as a possible orphan
// (with its password) before registering anew. Nothing here ever deletes the only copy of a
// password Glase may hold.
//
// Concurrency: one register/unregister/assign-id per point at a time in this process (a second
// one is refused at once), and across processes the pending record is created exclusively and
// never touched while its writer waits for Glase — so two registrations of a point cannot both
// report success, nor one discard the other's password. Unregistration is crash-safe the same
// way (config/pending-unregistration.ts).
import { randomBytes, randomInt } from "node:crypto";
import { resolve } from "node:path";
import { AgentError, isAgentError } from "../../base/errors.ts";
import { inheritedOwner, isExistsConflict, readRegularFile, removeStaleTemporaries, type DurableWriteOptions } from "../../base/io/durable-file.ts";
import { isGlaseError, isTransportError } from "../glase/errors.ts";
import type { GlaseApi, ResellerCredentials, TerminalCredentials } from "../../contracts/glase/types.ts";
import type { Logger } from "../../base/log.ts";
import { currentProcess, isCurrentProcess } from "../process-identity.ts";
import { readStoredTerminal, removeStoredTerminal, storedTerminalPath, terminalCredentials, writeStoredTerminal } from "../config/credentials.ts";
import {
  createPendingRegistration,
  keepLeftoverTaken,
  keepOrphan,
  markPendingUnanswered,
  orphansDir,
  pendingInProgress,
  pendingRegistrationPath,
  readPendingRegistration,
  setAsidePending,
  takeFileIf,
  takePendingRegistration,
  type PendingRegistration,
} from "../config/pending-registration.ts";
import {
  pendingUnregistrationPath,
  readPendingUnregistration,
  removePendingUnregistration,
  writePendingUnregistration,
  type PendingUnregistration,
} from "../config/pending-unregistration.ts";
import type { AgentConfig, PointConfig } from "../config/schema.ts";
import type { RegisterResult } from "./sockets/control.ts";

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** 24 alphanumerics from the CSPRNG (≈ 143 bits); alphanumeric because some tills mangle symbols. */
export function generateTerminalPassword(length = 24): string {
  let out = "";
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}

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

export interface TerminalManagerOptions {
  readonly config: AgentConfig;
  readonly terminalsDir: string;
  readonly glase: GlaseApi;
  readonly reseller: () => Promise<ResellerCredentials>;
  readonly logger: Logger;
  /** Recorded in the pending record, for the technician (which Glase the attempt went to). */
  readonly endpoint?: string;
}

/** Glase certainly did not act: it answered with a result code, or the request never left. */
function certainlyNotDone(e: unknown): boolean {
  return isGlaseError(e) || (isTransportError(e) && !e.indefinite);
}

/** Points with a terminal command running in this process (per terminals directory). */
const busyPoints = new Set<string>();
/** Attempts of this process waiting for registerTerminal's answer. */
const inFlight = new Set<string>();

export class TerminalManager {
  constructor(private readonly opts: TerminalManagerOptions) {}

  private point(id: number): PointConfig {
    const p = this.opts.config.points.find((x) => x.id === id);
    if (!p) throw new AgentError("NOT_FOUND", `no point ${id} in the config (points: ${this.opts.config.points.map((x) => x.id).join(", ")})`, { point: id });
    return p;
  }

  /** Files written as root (a CLI run with sudo) go to the state directory's owner, the service. */
  private owner() {
    return inheritedOwner(this.opts.terminalsDir);
  }

  /** One terminal command per point at a time: a second one is refused, not queued behind a Glase call. */
  private async exclusive<T>(pointId: number, what: string, fn: () => Promise<T>): Promise<T> {
    const key = `${resolve(this.opts.terminalsDir)}\0${pointId}`;
    if (busyPoints.has(key)) throw new AgentError("CONFLICT", `point ${pointId}: another register/unregister/assign-id is running; try ${what} again when it has finished`, { point: pointId });
    busyPoints.add(key);
    try {
      return await fn();
    } finally {
      busyPoints.delete(key);
    }
  }

  private inProgress(pending: PendingRegistration): boolean {
    return pending.writer !== undefined && isCurrentProcess(pending.writer) ? inFlight.has(pending.attemptId) : pendingInProgress(pending);
  }

  /** Removes temporaries a power cut left behind (at start; they never hold the only copy of anything). */
  async tidy(): Promise<void> {
    await removeStaleTemporaries(this.opts.terminalsDir);
    await keepLeftoverTaken(this.opts.terminalsDir, await this.owner());
  }

  /**
   * The point's registration, resolving what an interrupted `register` or `unregister` left: a
   * pending record beside a credentials file with the same password is a finished registration
   * (the record is removed); beside other credentials it is set aside as a possible orphan (unless
   * its run is still going). Never throws for a per-point file problem — that is `broken`, and
   * the station shows it with an alarm.
   */
  async registration(pointId: number): Promise<PointRegistration> {
    const point = this.point(pointId);
    const dir = this.opts.terminalsDir;
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
          await takePendingRegistration(dir, pointId, pending, await this.owner());
        } else if (!this.inProgress(pending)) {
          await setAsidePending(dir, pointId, pending, "pending registration found beside other credentials", await this.owner());
          this.opts.logger.warn("registration-orphan-kept", { point: pointId, externalTerminalId: pending.externalTerminalId, dir: orphansDir(dir) });
        }
      } else if (pendingProblem) {
        this.opts.logger.warn("pending-registration-damaged", { point: pointId, problem: pendingProblem });
      }
      return { kind: "registered", credentials: { terminalId: stored.terminalId, password: stored.password } };
    }
    if (pendingProblem) return { kind: "broken", problem: pendingProblem, source: "pending" };
    if (pending) return { kind: "unconfirmed", pending, file: pendingRegistrationPath(dir, pointId), inProgress: this.inProgress(pending) };
    return { kind: "unregistered" };
  }

  /** Credentials of a registered point; undefined when not registered; throws when they are unusable. */
  async credentials(pointId: number): Promise<TerminalCredentials | undefined> {
    const r = await this.registration(pointId);
    if (r.kind === "registered") return r.credentials;
    if (r.kind === "broken") throw new AgentError("CONFIG_INVALID", r.problem, { point: pointId });
    if (r.kind === "unregistering") throw unregisterPending(pointId, r.marker);
    return undefined;
  }

  register(pointId: number, req: { readonly name?: string; readonly externalTerminalId?: string } = {}): Promise<RegisterResult> {
    return this.exclusive(pointId, "register", () => this.registerNow(pointId, req));
  }

  private async registerNow(pointId: number, req: { readonly name?: string; readonly externalTerminalId?: string }): Promise<RegisterResult> {
    const point = this.point(pointId);
    if (point.terminal !== undefined) {
      throw new AgentError("CONFLICT", `point ${pointId} has its terminal in the config (points[].terminal); remove it there to register a new one`, { point: pointId });
    }
    const dir = this.opts.terminalsDir;
    const owner = await this.owner();
    // The shop credentials first: a missing or unreadable shop password is a plain refusal, before
    // anything is written or sent (not an "unconfirmed" registration that never left).
    const shop = await this.opts.reseller();

    const station = this.opts.config.station.name;
    const label = point.name ?? `point ${pointId}`;
    const attemptId = randomBytes(3).toString("hex");
    const record: PendingRegistration = {
      attemptId,
      // The attempt id in the external id tells this terminal apart from an orphan of an earlier
      // attempt in Glase's back office (externalTerminalId need not be unique, §9 A28).
      externalTerminalId: req.externalTerminalId ?? `${`${station}/${label}`.slice(0, 68)} (reg ${attemptId})`,
      name: req.name ?? `${station}, ${label}`,
      password: generateTerminalPassword(),
      startedAt: new Date().toISOString(),
      ...(this.opts.endpoint ? { endpoint: this.opts.endpoint } : {}),
      writer: currentProcess(),
    };
    const pendingFile = await this.clearWayFor(pointId, record, owner);
    let res;
    inFlight.add(attemptId);
    try {
      res = await this.opts.glase.registerTerminal(shop, record.externalTerminalId, record.password, record.name);
    } catch (e) {
      if (certainlyNotDone(e)) {
        await takePendingRegistration(dir, pointId, record, owner);
        throw e;
      }
      await markPendingUnanswered(dir, pointId, record, owner).catch((err: unknown) => this.opts.logger.warn("pending-registration-mark-failed", { point: pointId, err }));
      this.opts.logger.error("registration-unconfirmed", { point: pointId, externalTerminalId: record.externalTerminalId, pendingFile, err: e });
      throw new AgentError(
        isAgentError(e) ? e.code : "GLASE_TRANSPORT",
        `registerTerminal for point ${pointId} got no usable answer (${e instanceof Error ? e.message : String(e)}): Glase may have created terminal "${record.externalTerminalId}". ` +
          `Its password is kept in ${pendingFile}; the point stays out of service. Run \`glase-agent register --point ${pointId}\` again to register a new terminal ` +
          `(the unanswered attempt is then kept in ${orphansDir(dir)}/ for Glase support)`,
        { point: pointId, pendingFile, externalTerminalId: record.externalTerminalId },
        { cause: e },
      );
    } finally {
      inFlight.delete(attemptId);
    }
    let file;
    try {
      // Created, never replacing: credentials that appeared meanwhile (a restored backup) are not overwritten.
      file = await writeStoredTerminal(dir, pointId, { terminalId: res.terminalId, password: record.password, externalTerminalId: record.externalTerminalId, registeredAt: new Date().toISOString() }, owner, { replace: false });
    } catch (e) {
      if (!isExistsConflict(e)) throw e; // the pending record still holds the password
      const kept = await keepOrphan(dir, pointId, attemptId, { ...record, terminalId: res.terminalId }, "registered, but the point had other credentials by then", owner);
      await takePendingRegistration(dir, pointId, record, owner);
      throw new AgentError("CONFLICT", `point ${pointId} got credentials from elsewhere while registering; the new terminal ${res.terminalId} is kept in ${kept}`, { point: pointId, kept });
    }
    await takePendingRegistration(dir, pointId, record, owner);
    this.opts.logger.info("terminal-registered", { point: pointId, terminalId: res.terminalId, file });
    return { point: pointId, terminalId: res.terminalId, credentialsFile: file };
  }

  /**
   * Sets aside what stands in the way of a new registration (a damaged file, an unanswered
   * attempt) and creates the pending record, exclusively. Refuses when the point is registered,
   * being unregistered, or another run's registration is in progress.
   */
  private async clearWayFor(pointId: number, record: PendingRegistration, owner: DurableWriteOptions["owner"]): Promise<string> {
    const dir = this.opts.terminalsDir;
    for (let attempt = 0; ; attempt++) {
      let current = await this.registration(pointId);
      // A damaged credentials file, then a damaged pending record: each is set aside, at most once.
      for (let i = 0; i < 2 && current.kind === "broken"; i++) {
        await this.setAsideBroken(pointId, current, owner);
        current = await this.registration(pointId);
      }
      switch (current.kind) {
        case "broken":
          throw new AgentError("CONFLICT", current.problem, { point: pointId });
        case "registered":
          throw new AgentError("CONFLICT", `point ${pointId} is already registered as terminal ${current.credentials.terminalId}; unregister it first`, { point: pointId });
        case "unregistering":
          throw unregisterPending(pointId, current.marker);
        case "unconfirmed": {
          const p = current.pending;
          if (current.inProgress) {
            throw new AgentError("CONFLICT", `point ${pointId}: another registration (started ${p.startedAt} by process ${p.writer?.pid}) is waiting for Glase's answer; wait for it to finish`, { point: pointId });
          }
          const kept = await setAsidePending(dir, pointId, p, "registerTerminal got no answer; Glase may hold this terminal", owner);
          this.opts.logger.warn("registration-orphan-kept", { point: pointId, externalTerminalId: p.externalTerminalId, file: kept });
          break;
        }
        case "unregistered":
          break;
      }
      try {
        return await createPendingRegistration(dir, pointId, record, owner);
      } catch (e) {
        // Another run created its record between our look and our create: look again (it is in progress).
        if (!isExistsConflict(e) || attempt >= 2) throw e;
      }
    }
  }

  /**
   * A damaged credentials/pending file is copied into orphans/ (what is left of it may still help
   * Glase support) and then removed. A file we cannot read as a regular file — unreadable, a
   * symbolic link, a FIFO — is never replaced nor followed: it may hold the only copy of a
   * password, or be planted to make root read another file.
   */
  private async setAsideBroken(pointId: number, broken: Extract<PointRegistration, { kind: "broken" }>, owner: DurableWriteOptions["owner"]): Promise<void> {
    const dir = this.opts.terminalsDir;
    if (broken.source === "config") throw new AgentError("CONFLICT", broken.problem, { point: pointId });
    const path = broken.source === "pending" ? pendingRegistrationPath(dir, pointId) : storedTerminalPath(dir, pointId);
    const raw = await readRegularFile(path, { maxBytes: 1 << 20 }).then(
      (f) => f.text,
      () => undefined,
    );
    if (raw === undefined) {
      throw new AgentError(
        "CONFLICT",
        `${broken.problem}; register does not replace (nor follow) a file it cannot read as a regular file: fix its owner and mode (chown glase-agent, chmod 600) or move it away first`,
        { point: pointId, path },
      );
    }
    const kept = await keepOrphan(dir, pointId, "damaged", { file: path, problem: broken.problem, content: raw }, broken.problem, owner);
    await takeFileIf(dir, path, `point-${pointId}-damaged`, (text) => text === raw, owner);
    this.opts.logger.warn("damaged-credentials-set-aside", { point: pointId, file: path, kept });
  }

  unregister(pointId: number): Promise<void> {
    return this.exclusive(pointId, "unregister", () => this.unregisterNow(pointId));
  }

  private async unregisterNow(pointId: number): Promise<void> {
    const point = this.point(pointId);
    const dir = this.opts.terminalsDir;
    const owner = await this.owner();
    const reg = await this.registration(pointId);
    if (reg.kind === "broken") throw new AgentError("CONFIG_INVALID", reg.problem, { point: pointId });
    const retry = reg.kind === "unregistering";
    const creds = reg.kind === "registered" || reg.kind === "unregistering" ? reg.credentials : undefined;
    if (!creds) throw new AgentError("CONFLICT", `point ${pointId} has no registered terminal`, { point: pointId });
    // Durable before the request leaves: a lost answer must not leave the point stuck.
    if (!retry) await writePendingUnregistration(dir, pointId, { terminalId: creds.terminalId, startedAt: new Date().toISOString() }, owner);
    try {
      await this.opts.glase.unregisterTerminal(creds);
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
        this.opts.logger.warn("terminal-already-unregistered", { point: pointId, terminalId: creds.terminalId, resultCode: e.resultCode });
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
    this.opts.logger.info("terminal-unregistered", { point: pointId, terminalId: creds.terminalId });
  }

  /** The Glase ID (sticker) bound to a point's stored terminal; undefined when none, or unreadable. */
  async storedGlaseId(pointId: number): Promise<string | undefined> {
    const stored = await readStoredTerminal(this.opts.terminalsDir, pointId).catch(() => undefined);
    return stored?.seqrId || undefined;
  }

  assignGlaseId(pointId: number, glaseId: string): Promise<void> {
    return this.exclusive(pointId, "assign-id", async () => {
      const creds = await this.credentials(pointId);
      if (!creds) throw new AgentError("CONFLICT", `point ${pointId} has no registered terminal; register it first`, { point: pointId });
      await this.opts.glase.assignSeqrId(creds, glaseId);
      const stored = await readStoredTerminal(this.opts.terminalsDir, pointId);
      if (stored) await writeStoredTerminal(this.opts.terminalsDir, pointId, { ...stored, seqrId: glaseId }, await this.owner());
      this.opts.logger.info("glase-id-assigned", { point: pointId, terminalId: creds.terminalId, glaseId });
    });
  }
}

function unregisterPending(pointId: number, marker: PendingUnregistration): AgentError {
  const what = marker.terminalId ? `terminal ${marker.terminalId} (started ${marker.startedAt})` : `its terminal (${marker.damaged ?? "marker unreadable"})`;
  return new AgentError("CONFLICT", `point ${pointId}: an unregister of ${what} got no answer from Glase; run \`glase-agent unregister --point ${pointId}\` again first`, { point: pointId });
}
