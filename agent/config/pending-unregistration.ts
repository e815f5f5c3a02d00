// The pending-unregistration marker: written durably BEFORE `unregisterTerminal` is sent and
// removed once the answer is known and the credentials are gone. If the answer is lost the
// terminal may or may not still exist at Glase; the marker says an unregister was sent, so a
// retry that Glase answers 29 (no such terminal) or 33 (not usable) is the earlier request having
// taken effect — not an error that leaves the point stuck between "registered" and "unregister
// it first". It holds no secret (the terminal id and when), and nothing but the agent's run of
// `unregister` writes it.
import { lstat } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { readRegularFile, removeFileDurably, writeFileDurably, type DurableWriteOptions } from "../../base/io/durable-file.ts";
import { isAgentError } from "../../base/errors.ts";

export const PendingUnregistrationSchema = z.object({
  terminalId: z.string().min(1),
  startedAt: z.string(),
});
/** `damaged`: the marker exists but cannot be read — an unregister was sent, we do not know of what. */
export type PendingUnregistration = Partial<z.infer<typeof PendingUnregistrationSchema>> & { readonly damaged?: string };

export function pendingUnregistrationPath(terminalsDir: string, point: number): string {
  return join(terminalsDir, `point-${point}.unregistering.json`);
}

/** The marker, undefined when there is none. A damaged marker still counts (an unregister was sent). */
export async function readPendingUnregistration(terminalsDir: string, point: number): Promise<PendingUnregistration | undefined> {
  const path = pendingUnregistrationPath(terminalsDir, point);
  try {
    await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    return { damaged: `${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? "error"})` };
  }
  try {
    const parsed = PendingUnregistrationSchema.safeParse(JSON.parse((await readRegularFile(path, { maxBytes: 64 * 1024 })).text));
    return parsed.success ? parsed.data : { damaged: `${path}: ${parsed.error.issues[0]?.message ?? "invalid"}` };
  } catch (e) {
    return { damaged: `${path}: ${isAgentError(e) ? e.message : "not JSON"}` };
  }
}

export async function writePendingUnregistration(
  terminalsDir: string,
  point: number,
  marker: z.infer<typeof PendingUnregistrationSchema>,
  owner?: DurableWriteOptions["owner"],
): Promise<void> {
  await writeFileDurably(pendingUnregistrationPath(terminalsDir, point), JSON.stringify(marker, null, 2) + "\n", { mode: 0o600, ...(owner ? { owner } : {}) });
}

export function removePendingUnregistration(terminalsDir: string, point: number): Promise<boolean> {
  return removeFileDurably(pendingUnregistrationPath(terminalsDir, point));
}
