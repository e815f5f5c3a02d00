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
//
// This file holds the manager and registration; reading a point's state is
// terminal-registration.ts, unregistration terminal-unregister.ts.
import { randomBytes, randomInt } from "node:crypto";
import { resolve } from "node:path";
import { AgentError, isAgentError } from "../../base/errors.ts";
import { inheritedOwner, isExistsConflict, readRegularFile, removeStaleTemporaries, type DurableWriteOptions } from "../../base/io/durable-file.ts";
import { certainlyNotDone } from "../glase/errors.ts";
import type { GlaseApi, ResellerCredentials, TerminalCredentials } from "../../contracts/glase/types.ts";
import type { Logger } from "../../base/log.ts";
import { currentProcess, isCurrentProcess } from "../process-identity.ts";
import { readStoredTerminal, storedTerminalPath, writeStoredTerminal } from "../config/credentials.ts";
import {
  createPendingRegistration,
  keepLeftoverTaken,
  keepOrphan,
  markPendingUnanswered,
  orphansDir,
  pendingInProgress,
  pendingRegistrationPath,
  setAsidePending,
  takeFileIf,
  takePendingRegistration,
  type PendingRegistration,
} from "../config/pending-registration.ts";
import type { AgentConfig, PointConfig } from "../config/schema.ts";
import type { RegisterResult } from "./sockets/control.ts";
import { readRegistration, unregisterPending, type PointRegistration, type TerminalFiles } from "./terminal-registration.ts";
import { unregisterPoint } from "./terminal-unregister.ts";

export type { PointRegistration } from "./terminal-registration.ts";

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** 24 alphanumerics from the CSPRNG (≈ 143 bits); alphanumeric because some tills mangle symbols. */
export function generateTerminalPassword(length = 24): string {
  let out = "";
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}

export interface TerminalManagerOptions {
  readonly config: AgentConfig;
  readonly terminalsDir: string;
  readonly glase: GlaseApi;
  readonly reseller: () => Promise<ResellerCredentials>;
  readonly logger: Logger;
  /** Recorded in the pending record, for the technician (which Glase the attempt went to). */
  readonly endpoint?: string;
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

  private files(): TerminalFiles {
    return { dir: this.opts.terminalsDir, logger: this.opts.logger, owner: () => this.owner() };
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
   * The point's registration, resolving what an interrupted `register` or `unregister` left
   * (terminal-registration.ts). Never throws for a per-point file problem — that is `broken`, and
   * the station shows it with an alarm.
   */
  async registration(pointId: number): Promise<PointRegistration> {
    return readRegistration(this.point(pointId), this.files(), (pending) => this.inProgress(pending));
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
    return unregisterPoint(this.point(pointId), this.opts.glase, this.files(), () => this.registration(pointId));
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

