// The pending-registration record: written (0600, durable) BEFORE `registerTerminal` is sent and
// removed only once the terminal's credentials file is durable. `registerTerminal` always creates
// a new terminal and Glase offers no lookup (contract §3.1, §9 A28), so if its answer is lost —
// timeout, dropped connection, crash, power cut — a terminal may exist at Glase with a password
// that only this record knows. The record is never simply deleted in that case: a new
// registration moves it to terminals/orphans/, where the attempt's external id, name, time and
// password stay for Glase support (docs/technician.md, "Orphan terminals").
//
// Two registrations of one point may run at once (two technicians, a CLI and admin.sock). The
// record is therefore also the point's lock: it is only ever created, never replaced (link(2),
// EEXIST ⇒ CONFLICT); it names the process that wrote it, so a live run's record is left alone;
// and it is taken away by an atomic rename that only one run can win, checked to be the record
// that run meant. Nothing here can make one run silently discard another run's password.
import { randomBytes } from "node:crypto";
import { lstat, readdir } from "node:fs/promises";
import { basename, join } from "node:path";
import { z } from "zod";
import {
  ensureDirectory,
  isExistsConflict,
  linkFileDurably,
  moveFileDurably,
  readRegularFile,
  removeFileDurably,
  writeFileDurably,
  type DurableWriteOptions,
} from "../../base/io/durable-file.ts";
import { AgentError, isAgentError } from "../../base/errors.ts";
import { BOOT_CLOCK_SLACK_MS, bootedAt, isAlive, isCurrentProcess } from "../process-identity.ts";

export const PendingRegistrationSchema = z.object({
  /** Short random id of this attempt; also the tail of its externalTerminalId. */
  attemptId: z.string().min(1),
  externalTerminalId: z.string(),
  name: z.string(),
  password: z.string().min(4),
  startedAt: z.string(),
  endpoint: z.string().optional(),
  /** The process running the attempt (absent in records of older versions: never "in progress"). */
  writer: z.object({ pid: z.number().int(), boot: z.string().optional(), startTicks: z.number().int().optional(), bootedAt: z.number().int().optional(), uptimeMs: z.number().int().optional() }).optional(),
  /** Set by the writer once the answer is known to be lost: the attempt is over, though its process lives on. */
  unanswered: z.boolean().optional(),
});
export type PendingRegistration = z.infer<typeof PendingRegistrationSchema>;

type Owner = DurableWriteOptions["owner"];

export function pendingRegistrationPath(terminalsDir: string, point: number): string {
  return join(terminalsDir, `point-${point}.pending.json`);
}

export function orphansDir(terminalsDir: string): string {
  return join(terminalsDir, "orphans");
}

function parsePending(path: string, text: string): PendingRegistration {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AgentError("CONFIG_INVALID", `pending registration ${path}: ${text.trim() === "" ? "empty" : "not JSON"}`, { path });
  }
  const parsed = PendingRegistrationSchema.safeParse(json);
  if (!parsed.success) throw new AgentError("CONFIG_INVALID", `pending registration ${path}: ${parsed.error.issues[0]?.message ?? "invalid"}`, { path });
  return parsed.data;
}

/** The record, undefined when there is none; AgentError CONFIG_INVALID when it cannot be read (a link is refused, never followed). */
export async function readPendingRegistration(terminalsDir: string, point: number): Promise<PendingRegistration | undefined> {
  const path = pendingRegistrationPath(terminalsDir, point);
  try {
    await lstat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    throw new AgentError("CONFIG_INVALID", `pending registration ${path}: cannot read (${code ?? "error"})`, { path });
  }
  let text: string;
  try {
    text = (await readRegularFile(path, { maxBytes: 64 * 1024 })).text;
  } catch (e) {
    if (!isAgentError(e)) throw e;
    const why = e.code === "CONFIG_INVALID" ? e.message.slice(path.length + 1) : `cannot read (${String(e.context.errno ?? "error")})`;
    throw new AgentError("CONFIG_INVALID", `pending registration ${path}: ${why}`, { path });
  }
  return parsePending(path, text);
}

/**
 * True while the run that wrote the record may still be waiting for Glase's answer: its process
 * (another one — this process's own runs are serialised by the caller) is alive and has not
 * marked the answer lost. Such a record is that run's; nobody else touches it.
 */
export function pendingInProgress(record: PendingRegistration): boolean {
  return record.writer !== undefined && record.unanswered !== true && !isCurrentProcess(record.writer) && isAlive(record.writer);
}

function serialize(record: PendingRegistration): string {
  return JSON.stringify(record, null, 2) + "\n";
}

/**
 * Creates the record, durably, never replacing one: AgentError CONFLICT (context.errno EEXIST)
 * when the point already has one (another registration got there first).
 */
export async function createPendingRegistration(terminalsDir: string, point: number, record: PendingRegistration, owner?: Owner): Promise<string> {
  const path = pendingRegistrationPath(terminalsDir, point);
  await writeFileDurably(path, serialize(record), { mode: 0o600, replace: false, ...(owner ? { owner } : {}) });
  return path;
}

/** The writer marks its own record once the answer is lost (the attempt is over; a new register may set it aside). */
export async function markPendingUnanswered(terminalsDir: string, point: number, record: PendingRegistration, owner?: Owner): Promise<void> {
  await writeFileDurably(pendingRegistrationPath(terminalsDir, point), serialize({ ...record, unanswered: true }), { mode: 0o600, ...(owner ? { owner } : {}) });
}

const TAKEN_MARK = ".taken-";

/**
 * Removes `path` if its content still passes `isExpected`: it is renamed aside first — an atomic
 * step only one run can win — and checked there. A file that turns out to be another run's (it
 * replaced the one we meant meanwhile) is put back, never over a newer one; if one appeared in
 * the meantime, the taken file goes to orphans/ with whatever it holds. True when the expected
 * file was removed by this call.
 */
export async function takeFileIf(terminalsDir: string, path: string, tag: string, isExpected: (text: string | undefined) => boolean, owner?: Owner): Promise<boolean> {
  const claim = join(terminalsDir, `.${tag}${TAKEN_MARK}${process.pid}-${randomBytes(4).toString("hex")}`);
  if (!(await moveFileDurably(path, claim))) return false;
  const text = await readRegularFile(claim, { maxBytes: 1 << 20 }).then(
    (f) => f.text,
    () => undefined,
  );
  if (isExpected(text)) {
    await removeFileDurably(claim);
    return true;
  }
  if (await linkFileDurably(claim, path)) await removeFileDurably(claim);
  else await keepTaken(terminalsDir, claim, owner);
  return false;
}

async function keepTaken(terminalsDir: string, claim: string, owner?: Owner): Promise<void> {
  await ensureDirectory(orphansDir(terminalsDir), 0o700, owner);
  await moveFileDurably(claim, join(orphansDir(terminalsDir), `${basename(claim).slice(1)}.json`));
}

/**
 * Moves what a crash left between "taken aside" and "removed" (it may be the only copy of a
 * password) into orphans/. Files of processes still running are theirs and left alone.
 */
export async function keepLeftoverTaken(terminalsDir: string, owner?: Owner): Promise<number> {
  const names = await readdir(terminalsDir).catch(() => [] as string[]);
  const booted = bootedAt();
  const left: string[] = [];
  for (const n of names) {
    const at = n.lastIndexOf(TAKEN_MARK);
    if (!n.startsWith(".") || at < 0) continue;
    const pid = Number(n.slice(at + TAKEN_MARK.length).split("-")[0]);
    // The rename that made the file set its ctime: one from before this boot is a dead run's
    // whatever its pid is now; one of this boot is the named process's while that one lives.
    const changed = await lstat(join(terminalsDir, n)).then((st) => st.ctimeMs, () => 0);
    const thisBoot = changed >= booted - BOOT_CLOCK_SLACK_MS;
    if (!(thisBoot && Number.isSafeInteger(pid) && pid > 0 && isAlive({ pid, bootedAt: booted }))) left.push(n);
  }
  for (const n of left) await keepTaken(terminalsDir, join(terminalsDir, n), owner);
  return left.length;
}

/** Removes the point's record if it is still `seen` (same attempt); see takeFileIf. */
export function takePendingRegistration(terminalsDir: string, point: number, seen: PendingRegistration, owner?: Owner): Promise<boolean> {
  const path = pendingRegistrationPath(terminalsDir, point);
  return takeFileIf(
    terminalsDir,
    path,
    `point-${point}-pending-${seen.attemptId}`,
    (text) => {
      try {
        return text !== undefined && parsePending(path, text).attemptId === seen.attemptId;
      } catch {
        return false;
      }
    },
    owner,
  );
}

/**
 * Keeps what is known of a terminal Glase may hold (or held) but we cannot use: written durably
 * to terminals/orphans/ before anything that named it is removed, under a name of its own (an
 * existing orphan is never replaced). `what` is the record (or what is left of a damaged file),
 * `reason` says why it was set aside.
 */
export async function keepOrphan(terminalsDir: string, point: number, tag: string, what: unknown, reason: string, owner?: Owner): Promise<string> {
  const at = new Date().toISOString();
  const body = JSON.stringify({ point, reason, keptAt: at, record: what }, null, 2) + "\n";
  for (let i = 0; ; i++) {
    const path = join(orphansDir(terminalsDir), `point-${point}-${tag}-${at.replace(/[:.]/g, "-")}-${randomBytes(3).toString("hex")}.json`);
    try {
      await writeFileDurably(path, body, { mode: 0o600, replace: false, ...(owner ? { owner } : {}) });
      return path;
    } catch (e) {
      if (!isExistsConflict(e) || i >= 4) throw e;
    }
  }
}

/** Sets a record that is not in progress aside: kept in orphans/, then taken away (if still `seen`). */
export async function setAsidePending(terminalsDir: string, point: number, seen: PendingRegistration, reason: string, owner?: Owner): Promise<string> {
  const kept = await keepOrphan(terminalsDir, point, seen.attemptId, seen, reason, owner);
  await takePendingRegistration(terminalsDir, point, seen, owner);
  return kept;
}
