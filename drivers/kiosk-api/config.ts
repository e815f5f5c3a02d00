// The Kiosk API's configuration (validated with zod; the station config embeds it at integration).
import { z } from "zod";

const loopback = (host: string) => host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

export const kioskApiConfigSchema = z
  .object({
    /** Unix socket the kiosk app connects to, e.g. /run/glase-agent/kiosk.sock. */
    socketPath: z.string().min(1),
    /** Mode of the socket file; 0660 lets a kiosk-app group in (the token is still required). */
    socketMode: z.number().int().min(0).max(0o777).default(0o660),
    /**
     * Group (name or gid) the socket file is given to, e.g. a dedicated `glase-kiosk` group the
     * kiosk app's user is in. Default: the agent's own group — which also owns status.sock and the
     * config, so a kiosk app should never be put in it (docs/install.md §14).
     */
    socketGroup: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$/, "a group name or number").optional(),
    /** Optional loopback TCP listener for apps that cannot use a Unix socket. Never another interface. */
    tcp: z
      .object({ host: z.string().refine(loopback, "must be a loopback address (127.0.0.1, ::1 or localhost): the Kiosk API is never exposed to a network").default("127.0.0.1"), port: z.number().int().min(0).max(65535) })
      .strict()
      .optional(),
    /** File holding the bearer token, mode 0600. */
    tokenFile: z.string().min(1),
    /** The kiosk points this API may sell on; default: every point of the host. */
    points: z.array(z.number().int().positive()).min(1).optional(),
    maxBodyBytes: z.number().int().min(1024).max(1_048_576).default(16_384),
    /** Open event streams at most (each is one app screen). */
    maxStreams: z.number().int().min(1).max(1024).default(16),
    /** Bytes waiting for a slow event-stream client before it is dropped. */
    streamBufferBytes: z.number().int().min(4096).max(16_777_216).default(262_144),
    heartbeatMs: z.number().int().min(100).max(300_000).default(15_000),
    /** Events kept for Last-Event-ID replay. */
    replayEvents: z.number().int().min(0).max(100_000).default(512),
    /** A request must arrive whole within this time (slow-loris guard). */
    requestTimeoutMs: z.number().int().min(1000).max(300_000).default(10_000),
  })
  .strict();

export type KioskApiConfig = z.input<typeof kioskApiConfigSchema>;
export type KioskApiSettings = z.output<typeof kioskApiConfigSchema>;
