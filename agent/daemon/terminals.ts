// Terminal lifecycle (contract §3.1–3.3, §6.13): register a point's Glase terminal with the shop
// credentials (RESELLERUSER), bind its Glase ID sticker, unregister it. The password is ours to
// choose: a strong random one, stored with the terminalId 0600 in the state directory and never
// shown or logged. Used by the running agent (admin.sock) and by the standalone CLI commands.
import { randomInt } from "node:crypto";
import { unlink } from "node:fs/promises";
import { AgentError } from "../errors.ts";
import type { GlaseApi, ResellerCredentials, TerminalCredentials } from "../glase/types.ts";
import type { Logger } from "../log.ts";
import { readStoredTerminal, storedTerminalPath, terminalCredentials, writeStoredTerminal } from "../config/credentials.ts";
import type { AgentConfig, PointConfig } from "../config/schema.ts";
import type { RegisterResult } from "./sockets/control.ts";

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
}

export class TerminalManager {
  constructor(private readonly opts: TerminalManagerOptions) {}

  private point(id: number): PointConfig {
    const p = this.opts.config.points.find((x) => x.id === id);
    if (!p) throw new AgentError("NOT_FOUND", `no point ${id} in the config (points: ${this.opts.config.points.map((x) => x.id).join(", ")})`, { point: id });
    return p;
  }

  async credentials(point: number): Promise<TerminalCredentials | undefined> {
    return terminalCredentials(this.point(point), this.opts.terminalsDir);
  }

  async register(pointId: number, req: { readonly name?: string; readonly externalTerminalId?: string } = {}): Promise<RegisterResult> {
    const point = this.point(pointId);
    if (point.terminal !== undefined) {
      throw new AgentError("CONFLICT", `point ${pointId} has its terminal in the config (points[].terminal); remove it there to register a new one`, { point: pointId });
    }
    const existing = await readStoredTerminal(this.opts.terminalsDir, pointId);
    if (existing) {
      throw new AgentError("CONFLICT", `point ${pointId} is already registered as terminal ${existing.terminalId}; unregister it first`, { point: pointId });
    }
    const station = this.opts.config.station.name;
    const label = point.name ?? `point ${pointId}`;
    const externalTerminalId = req.externalTerminalId ?? `${station}/${label}`.slice(0, 80);
    const password = generateTerminalPassword();
    const res = await this.opts.glase.registerTerminal(await this.opts.reseller(), externalTerminalId, password, req.name ?? `${station}, ${label}`);
    const file = await writeStoredTerminal(this.opts.terminalsDir, pointId, {
      terminalId: res.terminalId,
      password,
      externalTerminalId,
      registeredAt: new Date().toISOString(),
    });
    this.opts.logger.info("terminal-registered", { point: pointId, terminalId: res.terminalId, file });
    return { point: pointId, terminalId: res.terminalId, credentialsFile: file };
  }

  async unregister(pointId: number): Promise<void> {
    const point = this.point(pointId);
    const creds = await this.credentials(pointId);
    if (!creds) throw new AgentError("CONFLICT", `point ${pointId} has no registered terminal`, { point: pointId });
    await this.opts.glase.unregisterTerminal(creds);
    if (point.terminal === undefined) await unlink(storedTerminalPath(this.opts.terminalsDir, pointId));
    this.opts.logger.info("terminal-unregistered", { point: pointId, terminalId: creds.terminalId });
  }

  async assignGlaseId(pointId: number, glaseId: string): Promise<void> {
    const creds = await this.credentials(pointId);
    if (!creds) throw new AgentError("CONFLICT", `point ${pointId} has no registered terminal; register it first`, { point: pointId });
    await this.opts.glase.assignSeqrId(creds, glaseId);
    const stored = await readStoredTerminal(this.opts.terminalsDir, pointId);
    if (stored) await writeStoredTerminal(this.opts.terminalsDir, pointId, { ...stored, seqrId: glaseId });
    this.opts.logger.info("glase-id-assigned", { point: pointId, terminalId: creds.terminalId, glaseId });
  }
}
