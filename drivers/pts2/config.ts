// The configuration of one PTS-2 controller, as the device layer's `devices.controllers[]` entry
// with `driver: pts2` will carry it (docs/pts2.md shows a full example). Validated by zod; every
// problem names its path. Secrets are not in here: the passwords come from 0600 files named by
// `passwordFile` (read through the shell's secret reader) or, for tests, inline `password`.
import { z } from "zod";
import { minorUnitDigits } from "../../base/money.ts";
import { minorAsPrice, priceAsMinor } from "./units.ts";

const credentials = {
  user: z.string().min(1),
  password: z.string().min(1).optional(),
  passwordFile: z.string().min(1).optional(),
};

const controllerAuth = z.discriminatedUnion("scheme", [
  z.object({ scheme: z.literal("none") }),
  z.object({ scheme: z.literal("basic"), ...credentials }),
  z.object({ scheme: z.literal("digest"), ...credentials }),
]);

const gradeSchema = z.object({
  /** The agent's grade id (invoice rows, receipts, the flows' gradeId). */
  id: z.string().min(1),
  /** The controller's FuelGradeId for this grade. */
  ptsFuelGradeId: z.number().int().min(1),
  name: z.string().min(1),
  unit: z.enum(["L", "kWh"]).default("L"),
  /** The price the agent charges, in minor units per unit; the controller must agree. */
  unitPriceMinor: z.number().int().positive().optional(),
  /** The same as a decimal with up to `priceDigits` decimals ("1.759"): for prices finer than a minor unit. Give one of the two. */
  unitPrice: z.string().regex(/^\d+(\.\d+)?$/, 'must be a decimal such as "1.759"').optional(),
  vatRatePercent: z.number().min(0).max(100),
});

export const pts2ConfigSchema = z
  .object({
    id: z.string().min(1).default("pts2"),
    driver: z.literal("pts2").default("pts2"),
    /** http(s)://host[:port][/jsonPTS] of the controller; the path defaults to /jsonPTS. */
    url: z.string().regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, "must be an http:// or https:// URL"),
    auth: controllerAuth,
    /**
     * The controller's id of the user the agent logs in as (its users configuration). The one proof
     * that a transaction read back after a lost PumpAuthorize answer is ours (its UserId) — once the
     * controller has corroborated it (an authorization it confirmed to the agent carried it;
     * own-user.ts). Without it the driver learns it from its own confirmed authorizations; until
     * then such a read-back parks the flow with PTS_OWNERSHIP_UNKNOWN.
     */
    controllerUserId: z.number().int().min(0).optional(),
    tls: z
      .object({
        caFile: z.string().min(1).optional(),
        pinSha256: z
          .string()
          .regex(/^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/, "must be a SHA-256 fingerprint (64 hex digits, colons allowed)")
          .optional(),
        insecure: z.boolean().default(false),
      })
      .optional(),
    currency: z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code"),
    /**
     * Deprecated: money digits are the currency's ISO 4217 minor unit (2 for SEK/EUR, 0 for JPY, 3
     * for KWD). Accepted only when it says the same.
     */
    minorDigits: z.number().int().min(0).max(4).optional(),
    /** Decimals of unit prices on the controller (PumpAuthorize.Price, FuelGrades.Price); default the currency's digits. */
    priceDigits: z.number().int().min(0).max(4).optional(),
    /** Agent point ↔ controller pump number. */
    points: z.array(z.object({ point: z.number().int().min(1), pump: z.number().int().min(1).max(50) })).min(1),
    grades: z.array(gradeSchema).min(1),
    pollIntervalMs: z.number().int().min(10).max(60_000).default(500),
    requestTimeoutMs: z.number().int().min(200).max(60_000).default(3000),
    maxPacketsPerRequest: z.number().int().min(1).max(100).default(50),
    keepAlive: z.boolean().default(false),
    /** A controller price that differs from the configured one: refuse to sell that grade, or sell at the configured price. Both raise a fault. */
    priceMismatch: z.enum(["refuse", "charge-configured"]).default("refuse"),
    priceCheckIntervalMs: z.number().int().min(1000).default(60_000),
    /** A pump still filling this long after PumpStop gets PumpEmergencyStop. */
    stopTimeoutMs: z.number().int().min(100).default(5000),
    /** An ended transaction the flow never reported settled is closed after this (keeps the pump usable). */
    closeUnsettledAfterMs: z.number().int().min(1000).default(120_000),
    /**
     * When the controller was fixed to honour the transaction number the agent asks for in
     * PumpAuthorize (ISO date-time, e.g. "2026-12-02T09:30:00Z"): clears a PTS_NUMBERS_NOT_HONOURED
     * raised before it (numbering.ts). One raised later stays; a time in the future of the agent's
     * clock is ignored as if unset (review 8, R8-3).
     */
    numbersHonouredSince: z.string().datetime({ offset: true }).optional(),
    /** How long open waits for the first answer before returning anyway. */
    openTimeoutMs: z.number().int().min(0).default(5000),
    /** Transaction records kept after closing (for late sale-record questions). */
    retentionMs: z.number().int().min(0).default(7 * 24 * 3600_000),
    /** Receives the controller's "upload to remote server" status pushes (docs/pts2.md). */
    upload: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(0).max(65535),
        path: z.string().startsWith("/").default("/jsonPTS"),
        auth: z.object(credentials).optional(),
        maxBodyBytes: z.number().int().min(1024).default(256 * 1024),
      })
      .optional(),
  })
  .superRefine((c, ctx) => {
    const dup = <T>(values: T[], path: (i: number) => (string | number)[], what: string) => {
      const seen = new Set<T>();
      values.forEach((v, i) => {
        if (seen.has(v)) ctx.addIssue({ code: "custom", path: path(i), message: `${what} ${String(v)} appears twice` });
        seen.add(v);
      });
    };
    dup(c.points.map((p) => p.point), (i) => ["points", i, "point"], "point");
    dup(c.points.map((p) => p.pump), (i) => ["points", i, "pump"], "pump");
    dup(c.grades.map((g) => g.id), (i) => ["grades", i, "id"], "grade id");
    dup(c.grades.map((g) => g.ptsFuelGradeId), (i) => ["grades", i, "ptsFuelGradeId"], "ptsFuelGradeId");
    if (c.tls && !c.url.startsWith("https:")) ctx.addIssue({ code: "custom", path: ["tls"], message: "tls is set but the url is not https://" });
    if (c.auth.scheme !== "none" && (c.auth.password === undefined) === (c.auth.passwordFile === undefined)) {
      ctx.addIssue({ code: "custom", path: ["auth"], message: "give exactly one of password or passwordFile" });
    }
    if (c.upload?.auth && (c.upload.auth.password === undefined) === (c.upload.auth.passwordFile === undefined)) {
      ctx.addIssue({ code: "custom", path: ["upload", "auth"], message: "give exactly one of password or passwordFile" });
    }
    const moneyDigits = minorUnitDigits(c.currency);
    if (c.minorDigits !== undefined && c.minorDigits !== moneyDigits) {
      ctx.addIssue({ code: "custom", path: ["minorDigits"], message: `${c.currency} has ${moneyDigits} minor-unit digits; money follows the currency — remove minorDigits, and set priceDigits for prices with more decimals` });
    }
    const priceDigits = c.priceDigits ?? moneyDigits;
    if (priceDigits < moneyDigits) ctx.addIssue({ code: "custom", path: ["priceDigits"], message: `must be at least the ${moneyDigits} minor-unit digits of ${c.currency}` });
    c.grades.forEach((g, i) => {
      if (g.unitPriceMinor === undefined && g.unitPrice === undefined) ctx.addIssue({ code: "custom", path: ["grades", i], message: "give unitPriceMinor or unitPrice" });
      const decimals = g.unitPrice?.split(".")[1]?.length ?? 0;
      if (decimals > priceDigits) ctx.addIssue({ code: "custom", path: ["grades", i, "unitPrice"], message: `${g.unitPrice} has ${decimals} decimals; priceDigits is ${priceDigits}` });
      else if (g.unitPrice !== undefined && g.unitPriceMinor !== undefined && priceDigits >= moneyDigits) {
        // Both (a parsed config parsed again): the minor-unit price must be the decimal's, rounded half up.
        const expected = priceAsMinor(decimalToUnits(g.unitPrice, priceDigits), { moneyDigits, priceDigits });
        if (expected !== g.unitPriceMinor) ctx.addIssue({ code: "custom", path: ["grades", i, "unitPriceMinor"], message: `${g.unitPriceMinor} is not unitPrice ${g.unitPrice} in minor units (${expected}); give one of the two` });
      }
    });
  })
  .transform((c) => {
    const moneyDigits = minorUnitDigits(c.currency);
    const units = { moneyDigits, priceDigits: c.priceDigits ?? moneyDigits };
    const { minorDigits: _deprecated, ...rest } = c;
    return {
      ...rest,
      ...units,
      grades: c.grades.map(({ unitPrice, unitPriceMinor, ...g }) => {
        const priceUnits = unitPrice !== undefined ? decimalToUnits(unitPrice, units.priceDigits) : minorAsPrice(unitPriceMinor!, units);
        // The flows' unit price (receipts, invoice rows) in minor units, half up: money itself is
        // the controller's Amount. `unitPrice` stays exact, so the output parses again to itself.
        return { ...g, priceUnits, unitPrice: unitsToDecimal(priceUnits, units.priceDigits), unitPriceMinor: unitPriceMinor ?? priceAsMinor(priceUnits, units) };
      }),
    };
  });

/** 1759 with 3 digits → "1.759". */
function unitsToDecimal(units: number, digits: number): string {
  if (digits === 0) return String(units);
  const t = String(units).padStart(digits + 1, "0");
  return `${t.slice(0, -digits)}.${t.slice(-digits)}`;
}

/** "1.759" with 3 digits → 1759 (exact, string arithmetic). */
function decimalToUnits(text: string, digits: number): number {
  const [whole, frac = ""] = text.split(".");
  return Number(whole) * 10 ** digits + Number(frac.padEnd(digits, "0") || "0");
}

export type Pts2ConfigInput = z.input<typeof pts2ConfigSchema>;
export type Pts2Config = z.output<typeof pts2ConfigSchema>;
export type Pts2Grade = Pts2Config["grades"][number];

/** The controller URL with /jsonPTS as path when none was given. */
export function jsonPtsUrl(url: string): string {
  const u = new URL(url);
  if (u.pathname === "/" || u.pathname === "") u.pathname = "/jsonPTS";
  return u.toString();
}
