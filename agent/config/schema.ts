// The configuration of one station: a single zod schema that validates the YAML and gives the
// TypeScript type (`AgentConfig`). Strict objects everywhere, so a misspelt key is reported
// instead of silently ignored. Secrets are either inline (demo/simulated stations) or, on real
// sites, in a file that must be 0600 (see secrets.ts); the schema only holds the reference.
import { DEFAULT_FILE_ROTATION, DEFAULT_FOLDER_ROTATION } from "../../base/io/rotation.ts";
import { z } from "zod";
import { minorUnitDigits } from "../../base/money.ts";
import { resolveControllers } from "./controllers.ts";

export const CURRENT_CONFIG_VERSION = 3;

const nonEmpty = z.string().min(1, "must not be empty");
const port = z.number().int().min(0).max(65535);
const positiveMs = z.number().int().positive();

/** An inline secret or a path to a 0600 file holding it — exactly one of the two. */
function secretRef<K extends string>(key: K) {
  const fileKey = `${key}File` as const;
  return {
    shape: { [key]: nonEmpty.optional(), [fileKey]: nonEmpty.optional() } as Record<K | `${K}File`, z.ZodOptional<z.ZodString>>,
    check(value: Record<string, unknown>, ctx: { addIssue(issue: { code: "custom"; path: string[]; message: string }): void }) {
      const inline = value[key] !== undefined;
      const file = value[fileKey] !== undefined;
      if (!inline && !file) ctx.addIssue({ code: "custom", path: [key], message: `required (or ${fileKey})` });
      if (inline && file) ctx.addIssue({ code: "custom", path: [fileKey], message: `give either ${key} or ${fileKey}, not both` });
    },
  };
}

const resellerSecret = secretRef("password");
const ResellerSchema = z
  .strictObject({
    id: nonEmpty,
    // Every public example and the account documents use 9900 (contract §3.1).
    userId: nonEmpty.default("9900"),
    ...resellerSecret.shape,
  })
  .superRefine((v, ctx) => resellerSecret.check(v, ctx));

const GlaseSchema = z.strictObject({
  /** SOAP endpoint URL, or `embedded-simulator` to run the simulator inside the agent. */
  endpoint: z.union([z.literal("embedded-simulator"), z.url({ protocol: /^https?$/, error: "must be an http(s) URL or embedded-simulator" })]),
  clientId: nonEmpty.default("GlaseAgent 0.1.0"),
  timeouts: z
    .strictObject({
      requestMs: positiveMs.default(10_000),
      pollIntervalMs: positiveMs.default(1_000),
    })
    .prefault({}),
  /** Shop (RESELLERUSER) credentials, needed only by `glase-agent register`. */
  reseller: ResellerSchema.optional(),
});

const terminalSecret = secretRef("password");
// One object rather than a union, so a problem is reported at the exact field
// (`points[2].terminal.password: required`) instead of "no union member matched".
const TerminalSchema = z
  .strictObject({
    /** A JSON file as written by `glase-agent register` ({terminalId, password}), mode 0600. */
    credentialsFile: nonEmpty.optional(),
    id: nonEmpty.optional(),
    ...terminalSecret.shape,
  })
  .superRefine((v, ctx) => {
    if (v.credentialsFile !== undefined) {
      for (const k of ["id", "password", "passwordFile"] as const) {
        if (v[k] !== undefined) ctx.addIssue({ code: "custom", path: [k], message: "not allowed together with credentialsFile" });
      }
      return;
    }
    if (v.id === undefined) ctx.addIssue({ code: "custom", path: ["id"], message: "required (or credentialsFile)" });
    terminalSecret.check(v, ctx);
  });

const PointSchema = z.strictObject({
  /** Point number on the controller, as printed on the pump/charger (1-based). */
  id: z.number().int().positive(),
  kind: z.enum(["fuel", "ev", "kiosk"]),
  name: nonEmpty.optional(),
  /**
   * Terminal credentials. Absent: the point uses what `glase-agent register` stored in the state
   * directory (terminals/point-<id>.json), and is shown unregistered until then.
   */
  terminal: TerminalSchema.optional(),
  /** Grade ids this point sells (must exist on the controller); a kiosk point sells none. */
  grades: z.array(nonEmpty).default([]),
  /** Amount reserved when the customer gives no preset (minor units); a kiosk point's largest sale. */
  maxPreliminaryMinor: z.number().int().positive(),
  /** commitReservationTimeout sent with the preliminary invoice (seconds). */
  commitReservationTimeoutS: z.number().int().positive().default(900),
  /** Customer never lifts the nozzle after RESERVED: cancel after this many seconds. */
  nozzleTimeoutS: z.number().int().positive().default(120),
  /**
   * A kiosk point's VAT rate (percent) for an invoice row that carries none (a kiosk app sending no
   * rows, or rows without itemTaxRate): the receipt's VAT line and the export's VAT come from it.
   */
  vatRatePercent: z.number().min(0).max(99.99).optional(),
});

const SerialLine = {
  path: nonEmpty,
  baudRate: z.number().int().positive().default(115200),
};

/**
 * One controller (devices.controllers[]): its `id`, the `driver` that opens it (drivers/registry.ts)
 * and that driver's options — validated by the driver's own schema in the checks below, so each
 * problem is reported at its path inside the entry.
 */
const ControllerSchema = z.looseObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$/, "must be 1-48 letters, digits, '_', '.' or '-'"),
  driver: nonEmpty,
});

const printerWidth = z.union([z.literal(58), z.literal(80)]).default(80);
/**
 * Printer output on disk: rotate by size, keep a count (file sink: old files; virtual: receipt
 * files). On by default with bounds (docs/technician.md, Printer output): a printer's copy of a
 * receipt never fills the disk; the journal keeps every receipt for ctl reprint regardless.
 */
const PrinterRotation = z.strictObject({ maxBytes: z.number().int().min(4096), keep: z.number().int().min(0).max(100_000) });
const PrinterSchema = z.discriminatedUnion("kind", [
  /** Virtual printer: decodes what it receives and writes receipts as text files to `dir`. */
  z.strictObject({ kind: z.literal("virtual"), dir: nonEmpty, width: printerWidth, rotate: PrinterRotation.default(DEFAULT_FOLDER_ROTATION) }),
  z.strictObject({ kind: z.literal("tcp"), host: nonEmpty, port: port.default(9100), width: printerWidth }),
  z.strictObject({ kind: z.literal("serial"), ...SerialLine, width: printerWidth }),
  z.strictObject({ kind: z.literal("device"), path: nonEmpty, width: printerWidth }),
  z.strictObject({ kind: z.literal("file"), path: nonEmpty, width: printerWidth, rotate: PrinterRotation.default(DEFAULT_FILE_ROTATION) }),
]);

const usbId = z.number().int().min(0).max(0xffff);
const ScannerSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("virtual") }),
  z.strictObject({
    kind: z.literal("hid"),
    vendorId: usbId,
    productId: usbId,
    path: nonEmpty.optional(),
    /** hid-pos: HID POS usage page reports; keyboard: keyboard-emulation reports. */
    format: z.enum(["hid-pos", "keyboard"]).default("hid-pos"),
  }),
  z.strictObject({ kind: z.literal("serial"), ...SerialLine }),
]);

const DevicesSchema = z.strictObject({
  /** The station's pump/charger controllers, of any driver; each point belongs to one of them. */
  controllers: z.array(ControllerSchema).default([]),
  printer: PrinterSchema.optional(),
  scanner: ScannerSchema.optional(),
});

const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|localhost)$/;

const MetricsSchema = z.strictObject({
  // Metrics expose business figures; they stay on the loopback interface (scraped by a local
  // agent or through an SSH tunnel).
  host: z.string().regex(LOOPBACK, "must be a loopback address (127.x.x.x, ::1 or localhost)").default("127.0.0.1"),
  port,
});

const InvoiceServiceSchema = z.strictObject({
  issuerName: nonEmpty,
  secretFile: nonEmpty,
  /**
   * 0600 file with the notification token (docs/invoice-service.md): Glase is given
   * `publicUrl/TOKEN`, and a POST to any other path is refused before anything is stored.
   */
  notificationTokenFile: nonEmpty,
  /**
   * host:port the notification endpoint listens on (loopback unless a proxy needs otherwise), or
   * unix:/run/glase-agent/notify.sock — preferred: no other local user can bind it first.
   */
  listen: z.string().regex(/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$|^unix:\/\S+$/, "must be host:port or unix:/path").default("127.0.0.1:8731"),
  /** The public URL Glase calls with notifications (reverse proxy in front of `listen`). */
  publicUrl: z.url({ protocol: /^https?$/ }),
  /**
   * Whether X-Forwarded-For names the notification's source (per-source fairness). Default off:
   * anyone who can reach `listen` directly could claim a new source per request (review 3 #1).
   * `true` trusts it from a loopback peer (the reverse proxy of docs/install.md §8 — only on a
   * machine without untrusted local users); a list trusts it only from those proxy addresses.
   */
  trustedProxy: z.union([z.boolean(), z.array(z.string().regex(/^[0-9A-Fa-f:.]{2,45}$/, "must be an IP address")).min(1)]).optional(),
  /** Base URL of the Invoice Service for details requests; default: the embedded simulator's. */
  // It receives the issuer's X-Auth-Token: https, or plain http to a loopback address only.
  detailsBaseUrl: z
    .url({ protocol: /^https?$/ })
    .refine((u) => u.startsWith("https:") || /^http:\/\/(127(\.\d{1,3}){3}|\[::1\]|localhost)(:\d+)?(\/|$)/i.test(u), "must be https (plain http only to a loopback address)")
    .optional(),
  /** Host written in invoice QR codes (default SEQR.SE). */
  qrHost: nonEmpty.optional(),
});

const LOOPBACK_HTTP = /^http:\/\/(127(\.\d{1,3}){3}|\[::1\]|localhost)(:\d+)?(\/|$)/i;

/**
 * The alerting hook (agent/alerts/): told when an alarm is raised or cleared. A webhook (JSON POST)
 * and/or a command (argv, the alert as JSON on stdin); retried with backoff, queued boundedly.
 */
const AlertsSchema = z
  .strictObject({
    webhook: z
      .strictObject({
        url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
        /** A 0600 file holding the token sent as `Authorization: Bearer …`. */
        bearerTokenFile: nonEmpty.optional(),
        timeoutMs: positiveMs.default(10_000),
      })
      // The token travels with every alert: https, or plain http to this machine only.
      .refine((w) => w.bearerTokenFile === undefined || w.url.startsWith("https:") || LOOPBACK_HTTP.test(w.url), {
        message: "with a bearerTokenFile the URL must be https (plain http only to a loopback address)",
        path: ["url"],
      })
      .optional(),
    command: z
      .strictObject({
        /** Program and arguments, no shell; the program by absolute path. */
        argv: z.array(nonEmpty).min(1, "the program to run").refine((a) => a[0]!.startsWith("/"), "argv[0] must be an absolute path"),
        timeoutMs: positiveMs.default(30_000),
      })
      .optional(),
    /** Alerts waiting per target; when full, the oldest is dropped (and counted). */
    queueSize: z.number().int().min(1).max(10_000).default(100),
    retryBaseMs: positiveMs.default(1_000),
    retryMaxMs: positiveMs.default(300_000),
  })
  .refine((a) => a.webhook !== undefined || a.command !== undefined, { message: "give a webhook, a command or both" });

const SimulationSchema = z.strictObject({
  customers: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Mean seconds between two customers at one idle point. */
      meanIntervalS: z.number().positive().default(8),
      /** Share of customers that preset an amount at the pump. */
      presetShare: z.number().min(0).max(1).default(0.5),
      /** Share of customers who walk away after reserving (nothing delivered → cancel). */
      walkAwayShare: z.number().min(0).max(1).default(0.05),
      /** Target delivery amount range for customers without a preset (minor units). */
      minAmountMinor: z.number().int().positive().default(5_000),
      maxAmountMinor: z.number().int().positive().default(60_000),
    })
    .prefault({}),
  /** Simulated seconds per real second for the embedded simulator and virtual devices. */
  timeScale: z.number().positive().default(1),
  /** Seconds the simulated customer takes to confirm on the phone. */
  confirmDelayS: z.number().min(0).default(2),
});

export const ConfigSchema = z
  .strictObject({
    version: z.literal(CURRENT_CONFIG_VERSION),
    station: z.strictObject({
      name: nonEmpty,
      currency: z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as SEK"),
      /** Language of receipts and displays (agent/i18n/messages.ts). */
      locale: z.enum(["en", "sv", "de", "fi", "nb", "da"]).default("en"),
      /** IANA time zone of receipt times; absent = the system's. */
      timeZone: z
        .string()
        .refine((tz) => {
          try {
            new Intl.DateTimeFormat("en", { timeZone: tz });
            return true;
          } catch {
            return false;
          }
        }, "must be an IANA time zone such as Europe/Stockholm")
        .optional(),
    }),
    glase: GlaseSchema,
    points: z.array(PointSchema).min(1, "at least one point"),
    devices: DevicesSchema,
    /** Where journal, terminal credentials live. Default: $STATE_DIRECTORY or ./.glase/state. */
    stateDir: nonEmpty.optional(),
    journal: z
      .strictObject({
        /** Default: <stateDir>/journal.sqlite. */
        path: nonEmpty.optional(),
        /** Finished flows older than this are archived/compacted. */
        retentionDays: z.number().int().positive().default(90),
      })
      .prefault({}),
    sockets: z
      .strictObject({
        /** Default: $RUNTIME_DIRECTORY or ./.glase/run. */
        dir: nonEmpty.optional(),
        /** Group that may read status.sock (mode 0660); default: the agent's own group. */
        statusGroup: nonEmpty.optional(),
      })
      .prefault({}),
    /** Timing of the payment flows; the defaults suit a real site. */
    flows: z
      .strictObject({
        /** Customer has this long to confirm in the app before the invoice is cancelled. */
        reservationWaitS: z.number().positive().default(120),
        /** No metering progress for this long during a delivery ⇒ stop and settle what was metered. */
        deliveryStallS: z.number().positive().default(30),
        /** Settlement must be done this long before the reservation lapses. */
        commitSafetyMarginS: z.number().positive().default(60),
        /** POS payments: poll window and extra windows before cancelling (contract: 30 s windows). */
        posWindowS: z.number().positive().default(30),
        posExtraWindows: z.number().int().min(0).default(1),
        /**
         * A sendInvoice never answered may still be processed by Glase (no bound, contract §4.1): its
         * terminal's current invoice is watched this long after it was sent (agent/core/send-watch.ts).
         */
        lostSendWatchS: z.number().positive().default(900),
        /** Kiosks, vending: a release result must come this long after PAID, else an alarm (never an automatic refund). */
        kioskReleaseTimeoutS: z.number().positive().default(120),
        /** Capped exponential backoff with jitter for temporary failures. */
        retryBaseMs: z.number().int().positive().default(500),
        retryMaxMs: z.number().int().positive().default(30_000),
        /**
         * Reconciliation: wait after markTransactionPeriod, retry delay and count for REPORT_NOT_READY
         * — contract §6.11's ≈ 3 s and ≈ 3 s (a close took 25 s at 5 s/10 s); 100 retries keep the
         * bound at about 5 minutes before the flow parks (report-unavailable).
         */
        reportWaitS: z.number().positive().default(3),
        reportRetryS: z.number().positive().default(3),
        reportMaxRetries: z.number().int().min(0).default(100),
        /** Also send submitPaymentReceipt after PAID. */
        submitReceipts: z.boolean().default(false),
        /** SIGTERM: running deliveries get this long to finish and settle before the agent exits anyway. */
        drainTimeoutS: z.number().positive().default(150),
        /**
         * SIGTERM: stop running deliveries at once (a charger's RemoteStop, a pump's stop) and settle
         * what was metered, cancel customers not yet delivering — instead of letting them finish.
         * The simulated station does (Ctrl-C ends in seconds); a real one lets customers finish.
         */
        drainEndsSessions: z.boolean().default(false),
        /**
         * SIGTERM: a flow whose money is settled but whose pump was not seen to stop (securing) gets
         * this long to see it stop; then the drain alarms it (pump-may-be-authorized) and goes on.
         * Well under systemd's TimeoutStopSec (180 s), within drainTimeoutS.
         */
        drainSecuringWaitS: z.number().positive().default(5),
      })
      .prefault({}),
    metrics: MetricsSchema.optional(),
    invoiceService: InvoiceServiceSchema.optional(),
    alerts: AlertsSchema.optional(),
    simulation: SimulationSchema.optional(),
    log: z.strictObject({ level: z.enum(["debug", "info", "warn", "error"]).default("info") }).prefault({}),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<number>();
    cfg.points.forEach((p, i) => {
      if (seen.has(p.id)) ctx.addIssue({ code: "custom", path: ["points", i, "id"], message: `duplicate point id ${p.id}` });
      seen.add(p.id);
    });
    const terminals = new Map<string, number>();
    cfg.points.forEach((p, i) => {
      const id = p.terminal?.id;
      if (id === undefined) return;
      const other = terminals.get(id);
      if (other !== undefined) ctx.addIssue({ code: "custom", path: ["points", i, "terminal", "id"], message: sharedTerminalMessage(id, `points[${other}].terminal.id`) });
      else terminals.set(id, i);
    });
    const digits = minorUnitDigits(cfg.station.currency);
    if (digits !== 2) {
      ctx.addIssue({
        code: "custom",
        path: ["station", "currency"],
        message: `${cfg.station.currency} has ${digits} decimals; Glase amounts carry exactly 2 (contract §6.5), so only 2-decimal currencies are supported`,
      });
    }
    const margin = cfg.flows.commitSafetyMarginS;
    cfg.points.forEach((p, i) => {
      if (p.kind !== "kiosk" && p.grades.length === 0) ctx.addIssue({ code: "custom", path: ["points", i, "grades"], message: "at least one grade" });
      if (p.kind !== "kiosk" && p.commitReservationTimeoutS <= 2 * margin) {
        ctx.addIssue({
          code: "custom",
          path: ["points", i, "commitReservationTimeoutS"],
          message: `must exceed twice flows.commitSafetyMarginS (${2 * margin} s): deliveries stop one margin before the commit deadline, which is one margin before the lapse`,
        });
      }
    });
    for (const p of resolveControllers(cfg).problems) ctx.addIssue({ code: "custom", path: [...p.path], message: p.message });
    const sim = cfg.simulation?.customers;
    if (sim && sim.minAmountMinor > sim.maxAmountMinor) {
      ctx.addIssue({ code: "custom", path: ["simulation", "customers", "minAmountMinor"], message: "must not exceed maxAmountMinor" });
    }
  });

/** Why two points may not share a terminal; `otherPath` names where the first one is configured. */
export function sharedTerminalMessage(terminalId: string, otherPath: string): string {
  return `terminal ${terminalId} is also used by ${otherPath} (a terminal holds one open invoice: each point needs its own)`;
}

export type AgentConfig = z.infer<typeof ConfigSchema>;
export type PointConfig = AgentConfig["points"][number];
export type ControllerConfig = AgentConfig["devices"]["controllers"][number];
export type PrinterConfig = NonNullable<AgentConfig["devices"]["printer"]>;
export type ScannerConfig = NonNullable<AgentConfig["devices"]["scanner"]>;
export type SimulationConfig = NonNullable<AgentConfig["simulation"]>;
export type AlertsConfig = NonNullable<AgentConfig["alerts"]>;
