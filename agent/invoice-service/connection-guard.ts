// Connection slots of a public HTTP endpoint, shared fairly. Node's `server.maxConnections` refuses
// the NEWEST connection at the cap: 300 connections that send half a request header (a slowloris,
// from any local user or network peer) then lock every real client out until their header timeout,
// and the attacker just opens them again. Here the cap evicts instead:
//   - a connection is `waiting` until its request is read whole and handed to the handler
//     (`working`), and waiting again once answered (keep-alive);
//   - at a source's own cap (one address may hold MAX_PER_SOURCE), a new connection from it
//     evicts that source's longest-waiting connection;
//   - at the total cap, the longest-waiting connection of the source holding the most is evicted;
//   - only when nothing is waiting (every slot is doing real work) is the new connection refused.
// So a flood from one address is bounded to its own share and never evicts another address's
// connections, and a flood through one address (loopback: local users and a local reverse proxy
// look alike) evicts its own stale connections first: a real client's request, which arrives
// whole within moments, is evicted only if it is the stalest of them all.
import type { Server } from "node:http";
import type { Socket } from "node:net";

export interface ConnectionGuardLimits {
  readonly maxConnections: number;
  readonly maxPerSource: number;
}

export interface ConnectionGuard {
  /** The request on this socket was read whole and is being handled: never evicted meanwhile. */
  working(socket: Socket): void;
  /** Answered; the connection waits for its next request (evictable). */
  waiting(socket: Socket): void;
  readonly open: number;
  /** Connections evicted or refused so far. */
  readonly evicted: number;
}

interface Slot {
  readonly source: string;
  working: boolean;
  /** Last activity (accepted, or a request finished): the stalest waiting slot goes first. */
  since: number;
}

/** `::ffff:127.0.0.1` and `127.0.0.1` are one source. */
function sourceOf(socket: Socket): string {
  const a = socket.remoteAddress ?? "unknown";
  return a.startsWith("::ffff:") ? a.slice(7) : a;
}

export function guardConnections(server: Server, limits: ConnectionGuardLimits, onEvict?: (why: string, source: string) => void): ConnectionGuard {
  const slots = new Map<Socket, Slot>();
  const bySource = new Map<string, Set<Socket>>();
  let evicted = 0;
  let tick = 0; // a counter, not a clock: order is all that matters

  const stalest = (candidates: Iterable<Socket>): Socket | undefined => {
    let best: Socket | undefined;
    let bestSince = Infinity;
    for (const s of candidates) {
      const slot = slots.get(s)!;
      if (!slot.working && slot.since < bestSince) {
        best = s;
        bestSince = slot.since;
      }
    }
    return best;
  };

  const evict = (socket: Socket, why: string) => {
    evicted++;
    onEvict?.(why, slots.get(socket)?.source ?? "unknown");
    release(socket);
    socket.destroy();
  };

  const release = (socket: Socket) => {
    const slot = slots.get(socket);
    if (!slot) return;
    slots.delete(socket);
    const set = bySource.get(slot.source);
    set?.delete(socket);
    if (set?.size === 0) bySource.delete(slot.source);
  };

  server.on("connection", (socket: Socket) => {
    const source = sourceOf(socket);
    const own = bySource.get(source);
    if (own && own.size >= limits.maxPerSource) {
      const victim = stalest(own);
      if (!victim) {
        evicted++;
        onEvict?.(`${source} has ${limits.maxPerSource} connections at work`, source);
        socket.destroy();
        return;
      }
      evict(victim, `${source} reached its ${limits.maxPerSource} connections`);
    }
    if (slots.size >= limits.maxConnections) {
      // The heaviest source pays first.
      const heaviest = [...bySource.values()].sort((a, b) => b.size - a.size);
      const victim = heaviest.map((set) => stalest(set)).find((s) => s !== undefined);
      if (!victim) {
        evicted++;
        onEvict?.(`${limits.maxConnections} connections at work`, source);
        socket.destroy();
        return;
      }
      evict(victim, `${limits.maxConnections} connections open`);
    }
    slots.set(socket, { source, working: false, since: tick++ });
    let set = bySource.get(source);
    if (!set) bySource.set(source, (set = new Set()));
    set.add(socket);
    socket.once("close", () => release(socket));
  });

  return {
    working(socket) {
      const slot = slots.get(socket);
      if (slot) slot.working = true;
    },
    waiting(socket) {
      const slot = slots.get(socket);
      if (slot) {
        slot.working = false;
        slot.since = tick++;
      }
    },
    get open() {
      return slots.size;
    },
    get evicted() {
      return evicted;
    },
  };
}
