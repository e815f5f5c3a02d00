// Configuration of one MDB cashless controller (one vending machine = one kiosk point).
import { z } from "zod";
import { isVatRate, VAT_RATE_RULE } from "../../base/vat-rate.ts";

const product = z
  .object({
    description: z.string().min(1).max(100),
    sku: z.string().min(1).max(64).optional(),
    taxRatePercent: z.number().min(0).lt(100).refine(isVatRate, VAT_RATE_RULE).optional(),
  })
  .strict();

export const mdbConfigSchema = z
  .object({
    /** Controller id: prefixes idempotency keys and names the driver in logs. */
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/).default("mdb"),
    link: z.discriminatedUnion("kind", [
      z.object({ kind: z.literal("serial"), path: z.string().min(1), baudRate: z.number().int().positive().default(115_200) }).strict(),
      /** An adapter behind a serial device server (ser2net), or the virtual vending machine. */
      z.object({ kind: z.literal("tcp"), host: z.string().min(1), port: z.number().int().min(1).max(65535) }).strict(),
    ]),
    /** The kiosk point (Glase terminal) this vending machine sells on. */
    point: z.number().int().positive(),
    currency: z.string().regex(/^[A-Z]{3}$/),
    /** How the adapter writes amounts (its MDB scale factor and decimals): "decimal" (1.50) or "minor" (150). */
    amountFormat: z.enum(["decimal", "minor"]).default("decimal"),
    /**
     * The customer must have paid within this time of selecting, else the vend is denied (C,STOP)
     * and the invoice cancelled. Shorter than the VMC's own approval timeout (often 30–60 s), so
     * the agent denies first: default 30 s (docs/mdb.md).
     */
    paymentTimeoutMs: z.number().int().min(5_000).max(600_000).default(30_000),
    /** Vend requests above this are denied without asking Glase (a misconfigured price). */
    maxAmountMinor: z.number().int().positive().optional(),
    /** MDB item number → invoice row; items not listed get one generic row. */
    products: z.record(z.string().regex(/^[0-9A-Za-z_-]{1,16}$/), product).default({}),
    genericDescription: z.string().min(1).max(100).default("Vending machine"),
    reconnectInitialMs: z.number().int().min(10).max(60_000).default(200),
    reconnectMaxMs: z.number().int().min(10).max(300_000).default(5_000),
  })
  .strict();

export type MdbConfig = z.input<typeof mdbConfigSchema>;
export type MdbSettings = z.output<typeof mdbConfigSchema>;
