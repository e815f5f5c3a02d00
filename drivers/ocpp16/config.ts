// The configuration of the OCPP 1.6J driver: where the agent listens as the chargers' central
// system, which chargers may connect (by charge point id) with which connectors mapped to which
// payment points, their security profile, and the session rules the agent enforces. Strict
// objects, so a misspelt key is reported instead of silently ignored; times in seconds (fractions
// allowed, for tests and simulations), money in integer minor units, energy in integer Wh.
import { z } from "zod";

/** The default maxFrameBytes (see there): 1 MiB. */
export const MAX_FRAME_BYTES_DEFAULT = 1_048_576;

const nonEmpty = z.string().min(1, "must not be empty");
const seconds = z.number().positive();

/** OCPP's CiString identifiers are printable ASCII; the id is also the last URL path segment. */
const chargePointId = z
  .string()
  .regex(/^[\x21-\x7e]{1,48}$/, "must be 1-48 printable ASCII characters without spaces")
  .refine((v) => !v.includes("/"), "must not contain '/'");

const GradeSchema = z.strictObject({
  id: nonEmpty,
  name: nonEmpty,
  /** Price per kWh in minor units (öre, cents). */
  unitPriceMinor: z.number().int().positive(),
  vatRatePercent: z.number().min(0).max(100),
});

const ConnectorSchema = z.strictObject({
  /** OCPP connectorId on the charger (1-based; 0 is the charger itself). */
  connectorId: z.number().int().positive(),
  /** The payment point this connector is, as printed on the charger. */
  point: z.number().int().positive(),
  /** Grade (tariff) sold on this connector; default: the first grade. */
  gradeId: nonEmpty.optional(),
  /**
   * Highest power this connector delivers (W, its rating): sizes the stop margin for one sampling
   * interval AND bounds what a session may bill (metering.ts: a meterStop above twice it in the
   * session's time is no end reading). Unset (here and on the charger): 22 kW for the margin, but
   * only a 1 MW physical ceiling for the bills, with an OCPP_RATING_UNSET alarm for each session
   * that exceeds twice 22 kW (a bill the agent cannot check) — set it.
   */
  maxPowerW: z.number().int().positive().optional(),
});

const ChargerSchema = z
  .strictObject({
    /** The charge point identity: the charger connects to ws(s)://host:port/<path>/<id>. */
    id: chargePointId,
    /**
     * 0: no authentication (a closed LAN only). 1: HTTP Basic auth with the charger's
     * AuthorizationKey (security profile 1). 2: Basic auth over TLS (profile 2; needs listen.tls).
     */
    securityProfile: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(0),
    /** File (mode 0600) holding the charger's Basic-auth password (its AuthorizationKey). */
    passwordFile: nonEmpty.optional(),
    /** Default for the connectors' maxPowerW (see there; unset: no rating is known). */
    maxPowerW: z.number().int().positive().optional(),
    connectors: z.array(ConnectorSchema).min(1, "at least one connector"),
  })
  .superRefine((c, ctx) => {
    if (c.securityProfile > 0 && c.passwordFile === undefined) {
      ctx.addIssue({ code: "custom", path: ["passwordFile"], message: `required for security profile ${c.securityProfile}` });
    }
    if (c.securityProfile === 0 && c.passwordFile !== undefined) {
      ctx.addIssue({ code: "custom", path: ["passwordFile"], message: "set securityProfile 1 or 2 to use a password" });
    }
    const seen = new Set<number>();
    c.connectors.forEach((k, i) => {
      if (seen.has(k.connectorId)) ctx.addIssue({ code: "custom", path: ["connectors", i, "connectorId"], message: `duplicate connector ${k.connectorId}` });
      seen.add(k.connectorId);
    });
  });

const TlsSchema = z.strictObject({
  /** PEM certificate chain and key of the agent's TLS endpoint (key file mode 0600). */
  certFile: nonEmpty,
  keyFile: nonEmpty,
  /** Lowest TLS version accepted; OCPP 1.6 security profile 2 asks for 1.2. */
  minVersion: z.enum(["TLSv1.2", "TLSv1.3"]).default("TLSv1.2"),
});

export const Ocpp16ConfigSchema = z
  .strictObject({
    listen: z
      .strictObject({
        /** Interface to listen on: 127.0.0.1 for a local test charger, the LAN address (or 0.0.0.0) for real ones. */
        host: nonEmpty.default("127.0.0.1"),
        port: z.number().int().min(0).max(65535).default(9220),
        /** URL path in front of the charge point id. */
        path: z.string().regex(/^\/[\w.~-]+(\/[\w.~-]+)*$/, "must look like /ocpp").default("/ocpp"),
        tls: TlsSchema.optional(),
      })
      .prefault({}),
    /** The only currency authorizations are accepted in (the station's). */
    currency: z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as SEK"),
    grades: z.array(GradeSchema).min(1, "at least one grade"),
    chargers: z.array(ChargerSchema).min(1, "at least one charger"),
    /** Heartbeat interval the agent gives chargers in the BootNotification answer. */
    heartbeatIntervalS: z.number().int().positive().default(300),
    /** MeterValueSampleInterval set on every charger: must be well under the flows' deliveryStallS. */
    meterSampleIntervalS: z.number().int().positive().default(10),
    /**
     * Real milliseconds per second of the chargers' own time: 1000 for real chargers. A simulated
     * station's virtual chargers run faster (their `virtual.secondMs`, set by the virtual twin):
     * the rated powers (maxPowerW) are in the chargers' time, so what they bound on the agent's
     * real clock (a reading's step, a settlement without meterStop) is scaled by 1000 / this.
     */
    chargerSecondMs: z.number().positive().default(1000),
    /**
     * ConnectionTimeOut set on every charger: how long it waits, cable in, for the session to start.
     * It must outlast the customer's confirmation (flows.reservationWaitS; a station raises it to
     * that + 60 s), or the charger falls back to Available and the payment is cancelled as an unplug.
     */
    connectionTimeOutS: z.number().int().positive().default(180),
    /** The agent stops a session this long after authorizing it, so it settles before the reservation lapses. */
    maxSessionS: seconds.default(780),
    /** A RemoteStopTransaction not followed by StopTransaction within this ⇒ the charger ignores it (overrun). */
    stopTimeoutS: seconds.default(60),
    /** After a (re)connection: how long to wait for the chargers' status before answering from what is stored. */
    syncTimeoutS: seconds.default(10),
    /** A charger that ended a session while the agent was away gets this long to deliver its StopTransaction. */
    lateStopWaitS: seconds.default(60),
    /** Timeout of the agent's own calls to a charger. */
    callTimeoutS: seconds.default(30),
    /** Timeout of the agent's optional TriggerMessage(MeterValues) (at most callTimeoutS): one never answered holds the link no longer. */
    triggerTimeoutS: seconds.default(5),
    /**
     * Largest WebSocket frame accepted; a bigger one closes that charger's connection (1009) and
     * raises OCPP_FRAME_TOO_LARGE. A charger re-sends a closed-on message at every reconnect, so
     * this must hold the biggest legitimate one: a StopTransaction with its transactionData, one
     * entry per MeterValueSampleInterval when the charger's StopTxnSampledData is not empty (the
     * agent asks for it empty, charger-setup.ts; not every charger obeys). 1 MiB holds 330 entries
     * (3 300 s, the longest session a 3 600 s reservation leaves, at 10 s) of 3 KiB each — over
     * twice a real 10-measurand entry (MicroOcpp #193: 1.2 KB). Floods stay bounded by the rate
     * limits below (a frame costs a token like any other).
     */
    maxFrameBytes: z.number().int().min(1024).default(MAX_FRAME_BYTES_DEFAULT),
    /** A charger may make the agent handle this many calls per second on average (burst: 4×): more are answered more slowly (pipelined ones, junk frames: its connection closes). */
    maxCallsPerSecond: z.number().positive().default(20),
    /** A charger kept above maxCallsPerSecond this long (even waiting for each answer) is disconnected as a flood (OCPP_FLOOD). */
    maxBusyS: seconds.default(60),
    /** Calls from one charger waiting to be processed; more closes its connection. */
    maxQueuedCalls: z.number().int().positive().default(20),
    /** Finished sessions kept for saleRecord answers (the oldest are forgotten first). */
    saleRecordCapacity: z.number().int().positive().default(1000),
  })
  .superRefine((cfg, ctx) => {
    const grades = new Set(cfg.grades.map((g) => g.id));
    const points = new Map<number, string>();
    const ids = new Set<string>();
    cfg.chargers.forEach((c, i) => {
      if (ids.has(c.id)) ctx.addIssue({ code: "custom", path: ["chargers", i, "id"], message: `duplicate charger id ${c.id}` });
      ids.add(c.id);
      if (c.securityProfile === 2 && !cfg.listen.tls) {
        ctx.addIssue({ code: "custom", path: ["chargers", i, "securityProfile"], message: "security profile 2 needs listen.tls" });
      }
      c.connectors.forEach((k, j) => {
        const owner = points.get(k.point);
        if (owner !== undefined) ctx.addIssue({ code: "custom", path: ["chargers", i, "connectors", j, "point"], message: `point ${k.point} is already ${owner}` });
        points.set(k.point, `${c.id} connector ${k.connectorId}`);
        if (k.gradeId !== undefined && !grades.has(k.gradeId)) {
          ctx.addIssue({ code: "custom", path: ["chargers", i, "connectors", j, "gradeId"], message: `unknown grade '${k.gradeId}'` });
        }
      });
    });
  });

export type Ocpp16Config = z.infer<typeof Ocpp16ConfigSchema>;
export type Ocpp16ConfigInput = z.input<typeof Ocpp16ConfigSchema>;
export type ChargerConfig = Ocpp16Config["chargers"][number];
export type ConnectorConfig = ChargerConfig["connectors"][number];
