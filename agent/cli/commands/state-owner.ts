// Root running `register`, `unregister` or `assign-id` with the agent stopped writes into the
// service's state directory, which belongs to the service's user. Acting there as root would let
// that user steer root by path — swap a directory for a symbolic link between two steps and have
// root create, chown or read files anywhere. So once everything only root may read has been read
// (the config, the shop password), the command becomes the directory's owner for good: every
// file operation is then checked by the kernel with the service's own rights, and what it
// creates belongs to the service without any chown.
import { inheritedOwner } from "../../../base/io/durable-file.ts";
import type { Logger } from "../../../base/log.ts";

/** Drops root to the owner of `dir` (nearest existing ancestor); no-op when not root or the directory is root's. */
export async function becomeOwnerOf(dir: string, logger: Logger): Promise<void> {
  const owner = await inheritedOwner(dir);
  if (!owner || !process.setuid || !process.setgid || !process.setgroups) return;
  process.setgroups([owner.gid]);
  process.setgid(owner.gid);
  process.setuid(owner.uid);
  logger.info("acting-as-state-owner", { dir, uid: owner.uid, gid: owner.gid });
}
