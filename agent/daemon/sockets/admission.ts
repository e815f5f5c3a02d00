// Who makes room for a new connection on a technician socket. Without a per-peer bound, one
// group member's 64 reading `watch`es (never idle, never evictable) locked every other technician
// out for good (review 2 #2). The rules, in order:
//   1. the newcomer's uid already holds maxConnectionsPerPeer: its own connection that stopped
//      reading makes room, else the newcomer is refused BUSY — a peer can only crowd out itself,
//      and a script opening connection after connection never displaces the same user's
//      `ctl status` between two requests;
//   2. the socket holds maxConnections: an idle or stuck connection (not reading, largest backlog
//      first, then longest idle), else the oldest watch of the uid holding the most connections;
//   3. nothing to take (every connection has a request in flight): the newcomer is refused BUSY.
// Without peer credentials (the addon not built) rule 1 does not apply and every connection
// counts as one unknown peer for rule 2.
import type { ConnectionLimits } from "./limits.ts";

export interface Admissible {
  readonly peer: { readonly uid: number } | undefined;
  readonly evictable: boolean;
  /** Output not taken by the client (a write stalled). */
  readonly stuck: boolean;
  readonly unreadBytes: number;
  readonly lastRequestAt: number;
  readonly watchingSince: number | undefined;
}

export type Admission<C> = { readonly kind: "admit"; readonly victim?: C; readonly reason?: string } | { readonly kind: "refuse"; readonly reason: string };

function idleOrStuck<C extends Admissible>(cs: readonly C[]): C | undefined {
  return cs.filter((c) => c.evictable).sort((a, b) => b.unreadBytes - a.unreadBytes || a.lastRequestAt - b.lastRequestAt)[0];
}

function oldestWatch<C extends Admissible>(cs: readonly C[]): C | undefined {
  return cs.filter((c) => c.watchingSince !== undefined).sort((a, b) => a.watchingSince! - b.watchingSince!)[0];
}

export function admit<C extends Admissible>(open: readonly C[], uid: number | undefined, limits: Pick<ConnectionLimits, "maxConnections" | "maxConnectionsPerPeer">): Admission<C> {
  if (uid !== undefined) {
    const mine = open.filter((c) => c.peer?.uid === uid);
    if (mine.length >= limits.maxConnectionsPerPeer) {
      const victim = idleOrStuck(mine.filter((c) => c.stuck));
      const reason = `uid ${uid} has ${mine.length} connections open (limit ${limits.maxConnectionsPerPeer} per user)`;
      return victim ? { kind: "admit", victim, reason } : { kind: "refuse", reason };
    }
  }
  if (open.length < limits.maxConnections) return { kind: "admit" };
  const reason = `the socket reached its limit of ${limits.maxConnections} connections`;
  const idle = idleOrStuck(open);
  if (idle) return { kind: "admit", victim: idle, reason };
  const byPeer = new Map<number | undefined, C[]>();
  for (const c of open) byPeer.set(c.peer?.uid, [...(byPeer.get(c.peer?.uid) ?? []), c]);
  for (const group of [...byPeer.values()].sort((a, b) => b.length - a.length)) {
    const victim = oldestWatch(group);
    if (victim) return { kind: "admit", victim, reason: `${reason}; the oldest watch of the user holding the most (${group.length}) makes room` };
  }
  return { kind: "refuse", reason: `${reason}, every one with a request in flight` };
}
