// Listening on a Unix socket as every socket of the agent does (the technician sockets, the Kiosk
// API): a socket file left by a crashed agent is removed, one that answers means another agent
// runs there (refused: never two on one path), and the socket is born with its mode — the umask
// is set around listen(), so there is no window in which a wider mode would let someone connect
// before the chmod.
import { chmod, lstat, unlink } from "node:fs/promises";
import { createConnection, type Server } from "node:net";
import { AgentError } from "../errors.ts";

/** Listens on `path` with `mode`; a live socket already there is a CONFLICT whose message is `inUse`. */
export async function listenUnixSocket(server: Server, path: string, mode: number, inUse: string): Promise<void> {
  const exists = await lstat(path).then(
    () => true,
    () => false,
  );
  if (exists) {
    const alive = await new Promise<boolean>((resolve) => {
      const c = createConnection(path);
      c.once("connect", () => (c.destroy(), resolve(true)));
      c.once("error", () => resolve(false));
    });
    if (alive) throw new AgentError("CONFLICT", inUse, { path });
    await unlink(path);
  }
  const previous = process.umask(0o777 & ~mode);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => (server.off("error", reject), resolve()));
    });
  } finally {
    process.umask(previous);
  }
  await chmod(path, mode);
}
