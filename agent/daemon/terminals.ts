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
import { randomBytes, randomInt } from "node:crypto";
import { readFile } from "node:fs/promises";
import { AgentError, isAgentError } from "../errors.ts";
import { inheritedOwner, removeFileDurably, removeStaleTemporaries, type DurableWriteOptions } from "../durable-file.ts";
import { isGlaseError, isTransportError } from "../glase/errors.ts";
import type { GlaseApi, ResellerCredentials, TerminalCredentials } from "../glase/types.ts";
import type { Logger } from "../log.ts";
import { readStoredTerminal, removeStoredTerminal, storedTerminalPath, terminalCredentials, writeStoredTerminal } from "../config/credentials.ts";
import {
  keepOrphan,
  orphansDir,
  pendingRegistrationPath,
  readPendingRegistration,
  removePendingRegistration,
  writePendingRegistration,
  type PendingRegistration,
} from "../config/pending-registration.ts";
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
  /** A registration was sent and its answer never arrived (the pending record is all we have). */
  | { readonly kind: "unconfirmed"; readonly pending: PendingRegistration; readonly file: string }
  /** Credentials exist but cannot be used (missing file, empty, unreadable, bad mode, not JSON). */
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

/** Glase certainly did not create a terminal: it answered with a result code, or the request never left. */
function certainlyNotCreated(e: unknown): boolean {
  return isGlaseError(e) || (isTransportError(e) && !e.indefinite);
}

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

  /** Removes temporaries a power cut left behind (at start; they never hold the only copy of anything). */
  async tidy(): Promise<void> {
    await removeStaleTemporaries(this.opts.terminalsDir);
  }

  /**
   * The point's registration, resolving what an interrupted `register` left: a pending record
   * beside a credentials file with the same password is a finished registration (the record is
   * removed); beside other credentials it is set aside as a possible orphan. Never throws for a
   * per-point file problem — that is `broken`, and the station shows it with an alarm.
   */
  async registration(pointId: number): Promise<PointRegistration> {
    const point = this.point(pointId);
    const dir = this.opts.terminalsDir;
    if (point.terminal !== undefined) {
      try {
        const credentials = await terminalCredentials(point, dir);
        return credentials ? { kind: "registered", credentials } : { kind: "unregistered" };
      } catch (e) {
        if (!isAgentError(e)) throw e;
        return { kind: "broken", problem: e.message, source: "config" };
      }
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
    if (stored) {
      if (pending) {
        if (pending.password !== stored.password) {
          await keepOrphan(dir, pointId, pending.attemptId, pending, "pending registration found beside other credentials", await this.owner());
          this.opts.logger.warn("registration-orphan-kept", { point: pointId, externalTerminalId: pending.externalTerminalId, dir: orphansDir(dir) });
        }
        await removePendingRegistration(dir, pointId);
      } else if (pendingProblem) {
        this.opts.logger.warn("pending-registration-damaged", { point: pointId, problem: pendingProblem });
      }
      return { kind: "registered", credentials: { terminalId: stored.terminalId, password: stored.password } };
    }
    if (pendingProblem) return { kind: "broken", problem: pendingProblem, source: "pending" };
    if (pending) return { kind: "unconfirmed", pending, file: pendingRegistrationPath(dir, pointId) };
    return { kind: "unregistered" };
  }

  /** Credentials of a registered point; undefined when not registered; throws when they are unusable. */
  async credentials(pointId: number): Promise<TerminalCredentials | undefined> {
    const r = await this.registration(pointId);
    if (r.kind === "registered") return r.credentials;
    if (r.kind === "broken") throw new AgentError("CONFIG_INVALID", r.problem, { point: pointId });
    return undefined;
  }

  async register(pointId: number, req: { readonly name?: string; readonly externalTerminalId?: string } = {}): Promise<RegisterResult> {
    const point = this.point(pointId);
    if (point.terminal !== undefined) {
      throw new AgentError("CONFLICT", `point ${pointId} has its terminal in the config (points[].terminal); remove it there to register a new one`, { point: pointId });
    }
    const dir = this.opts.terminalsDir;
    const owner = await this.owner();
    let current = await this.registration(pointId);
    // A damaged credentials file, then a damaged pending record: each is set aside, at most once.
    for (let i = 0; i < 2 && current.kind === "broken"; i++) {
      await this.setAsideBroken(pointId, current, owner);
      current = await this.registration(pointId);
    }
    if (current.kind === "broken") throw new AgentError("CONFLICT", current.problem, { point: pointId });
    if (current.kind === "registered") {
      throw new AgentError("CONFLICT", `point ${pointId} is already registered as terminal ${current.credentials.terminalId}; unregister it first`, { point: pointId });
    }
    if (current.kind === "unconfirmed") {
      const kept = await keepOrphan(dir, pointId, current.pending.attemptId, current.pending, "registerTerminal got no answer; Glase may hold this terminal", owner);
      await removePendingRegistration(dir, pointId);
      this.opts.logger.warn("registration-orphan-kept", { point: pointId, externalTerminalId: current.pending.externalTerminalId, file: kept });
    }

    const station = this.opts.config.station.name;
    const label = point.name ?? `point ${pointId}`;
    const attemptId = randomBytes(3).toString("hex");
    // The attempt id in the external id tells this terminal apart from an orphan of an earlier
    // attempt in Glase's back office (externalTerminalId need not be unique, §9 A28).
    const externalTerminalId = req.externalTerminalId ?? `${`${station}/${label}`.slice(0, 68)} (reg ${attemptId})`;
    const name = req.name ?? `${station}, ${label}`;
    const password = generateTerminalPassword();
    const pendingFile = await writePendingRegistration(
      dir,
      pointId,
      { attemptId, externalTerminalId, name, password, startedAt: new Date().toISOString(), ...(this.opts.endpoint ? { endpoint: this.opts.endpoint } : {}) },
      owner,
    );
    let res;
    try {
      res = await this.opts.glase.registerTerminal(await this.opts.reseller(), externalTerminalId, password, name);
    } catch (e) {
      if (certainlyNotCreated(e)) {
        await removePendingRegistration(dir, pointId);
        throw e;
      }
      this.opts.logger.error("registration-unconfirmed", { point: pointId, externalTerminalId, pendingFile, err: e });
      throw new AgentError(
        isAgentError(e) ? e.code : "GLASE_TRANSPORT",
        `registerTerminal for point ${pointId} got no usable answer (${e instanceof Error ? e.message : String(e)}): Glase may have created terminal "${externalTerminalId}". ` +
          `Its password is kept in ${pendingFile}; the point stays out of service. Run \`glase-agent register --point ${pointId}\` again to register a new terminal ` +
          `(the unanswered attempt is then kept in ${orphansDir(dir)}/ for Glase support)`,
        { point: pointId, pendingFile, externalTerminalId },
        { cause: e },
      );
    }
    const file = await writeStoredTerminal(dir, pointId, { terminalId: res.terminalId, password, externalTerminalId, registeredAt: new Date().toISOString() }, owner);
    await removePendingRegistration(dir, pointId);
    this.opts.logger.info("terminal-registered", { point: pointId, terminalId: res.terminalId, file });
    return { point: pointId, terminalId: res.terminalId, credentialsFile: file };
  }

  /**
   * A damaged credentials/pending file is copied into orphans/ (what is left of it may still help
   * Glase support) and then removed. A file we cannot read at all is never replaced: it may hold
   * the only copy of a password.
   */
  private async setAsideBroken(pointId: number, broken: Extract<PointRegistration, { kind: "broken" }>, owner: DurableWriteOptions["owner"]): Promise<void> {
    const dir = this.opts.terminalsDir;
    const path = broken.source === "pending" ? pendingRegistrationPath(dir, pointId) : storedTerminalPath(dir, pointId);
    const raw = await readFile(path, "utf8").catch(() => undefined);
    if (raw === undefined) {
      throw new AgentError("CONFLICT", `${broken.problem}; register does not replace a file it cannot read: fix its owner and mode (chown glase-agent, chmod 600) or move it away first`, { point: pointId, path });
    }
    const kept = await keepOrphan(dir, pointId, "damaged", { file: path, problem: broken.problem, content: raw }, broken.problem, owner);
    await removeFileDurably(path);
    this.opts.logger.warn("damaged-credentials-set-aside", { point: pointId, file: path, kept });
  }

  async unregister(pointId: number): Promise<void> {
    const point = this.point(pointId);
    const creds = await this.credentials(pointId);
    if (!creds) throw new AgentError("CONFLICT", `point ${pointId} has no registered terminal`, { point: pointId });
    await this.opts.glase.unregisterTerminal(creds);
    if (point.terminal === undefined) await removeStoredTerminal(this.opts.terminalsDir, pointId);
    this.opts.logger.info("terminal-unregistered", { point: pointId, terminalId: creds.terminalId });
  }

  async assignGlaseId(pointId: number, glaseId: string): Promise<void> {
    const creds = await this.credentials(pointId);
    if (!creds) throw new AgentError("CONFLICT", `point ${pointId} has no registered terminal; register it first`, { point: pointId });
    await this.opts.glase.assignSeqrId(creds, glaseId);
    const stored = await readStoredTerminal(this.opts.terminalsDir, pointId);
    if (stored) await writeStoredTerminal(this.opts.terminalsDir, pointId, { ...stored, seqrId: glaseId }, await this.owner());
    this.opts.logger.info("glase-id-assigned", { point: pointId, terminalId: creds.terminalId, glaseId });
  }
}
