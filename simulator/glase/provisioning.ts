// Provisioning (§10): shops, pre-registered terminals, loyalty token ids, settings, and the
// Invoice Service issuers (stored only, for that simulator). YAML or JSON, validated with zod;
// every error names the path of the bad value. Sections left out get the built-in defaults:
// shop `reseller`/9900/2009 and the Java samples' terminals (§8.4).
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { AgentError } from "../../base/errors.ts";
import { DEFAULT_SHOP, DEFAULT_TERMINALS } from "./defaults.ts";

const apiLevel = z.union([z.string().regex(/^\d+\.\d+$/, 'apiLevel looks like "2.9" or "2.10"'), z.number()]).transform((v, ctx) => {
  if (typeof v === "number") {
    ctx.addIssue({ code: "custom", message: 'write apiLevel as a quoted string ("2.10" as a number reads as 2.1)' });
    return z.NEVER;
  }
  return v;
});

const autoCustomer = z.strictObject({
  enabled: z.boolean(),
  confirmAfterMs: z.number().int().min(0).default(2000),
  terminals: z.array(z.string().min(1)).optional(),
});

export const settingsSchema = z.strictObject({
  ackTimeoutSeconds: z.number().min(0).optional(),
  reportNotReadyCalls: z.number().int().min(0).optional(),
  apiLevel: apiLevel.optional(),
  acceptHigherCommit: z.boolean().optional(),
  defaultReservationTimeoutSeconds: z.number().int().positive().optional(),
  qrHost: z.string().min(1).optional(),
  notificationMethod: z.enum(["GET", "POST"]).optional(),
  maxBodyBytes: z.number().int().positive().optional(),
  strictUnmarshalling: z.boolean().optional(),
  profile: z.enum(["default", "strict"]).optional(),
  busyApplied: z.boolean().optional(),
  autoCustomer: autoCustomer.optional(),
});

const shop = z.strictObject({
  resellerId: z.string().min(1),
  userId: z.string().min(1).default("9900"),
  password: z.string().min(1),
  currency: z.string().regex(/^[A-Z]{3}$/, "ISO 4217 code such as SEK").default("SEK"),
  allowRefunds: z.boolean().default(true),
  receiverAllowsRefunds: z.boolean().default(true),
  blocked: z.boolean().default(false),
});

const terminal = z.strictObject({
  id: z.string().min(1),
  password: z.string(),
  name: z.string().default("Glase terminal"),
  /** Shop the terminal belongs to; default: the first shop. */
  resellerId: z.string().min(1).optional(),
  seqrId: z.string().regex(/^[A-Za-z0-9]+$/, "alphanumeric").optional(),
  /** false for webshop/app terminals that may hold many open invoices (§6.4). */
  cashRegister: z.boolean().default(true),
  blocked: z.boolean().default(false),
});

const token = z.strictObject({ id: z.string().min(1), description: z.string().optional() });

const issuer = z.strictObject({ name: z.string().min(1), secret: z.string().min(1), notificationUrl: z.string().url() });

export const provisioningSchema = z.strictObject({
  shops: z.array(shop).min(1).optional(),
  terminals: z.array(terminal).optional(),
  tokens: z.array(token).optional(),
  settings: settingsSchema.optional(),
  issuers: z.array(issuer).optional(),
});

export type ProvisionedShop = z.output<typeof shop>;
export type ProvisionedTerminal = z.output<typeof terminal>;
export type ProvisionedIssuer = z.output<typeof issuer>;
export type ProvisionedSettings = z.output<typeof settingsSchema>;

export interface Provisioning {
  shops: ProvisionedShop[];
  terminals: ProvisionedTerminal[];
  tokens: { id: string; description?: string }[];
  settings: ProvisionedSettings;
  issuers: ProvisionedIssuer[];
}

/** Validates a parsed document (YAML/JSON value); `source` names it in errors. */
export function parseProvisioning(value: unknown, source = "provisioning"): Provisioning {
  const result = provisioningSchema.safeParse(value ?? {});
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`);
    throw new AgentError("CONFIG_INVALID", `${source}: ${issues.join("; ")}`, { source, issues });
  }
  const p = result.data;
  const shops = p.shops ?? [DEFAULT_SHOP];
  const terminals = p.terminals ?? (p.shops ? [] : DEFAULT_TERMINALS);
  const ids = new Set(shops.map((s) => s.resellerId));
  if (ids.size !== shops.length) throw new AgentError("CONFIG_INVALID", `${source}: shops: duplicate resellerId`, { source });
  const seen = new Set<string>();
  terminals.forEach((t, i) => {
    if (t.resellerId !== undefined && !ids.has(t.resellerId)) {
      throw new AgentError("CONFIG_INVALID", `${source}: terminals.${i}.resellerId: no shop ${t.resellerId}`, { source });
    }
    if (seen.has(t.id)) throw new AgentError("CONFIG_INVALID", `${source}: terminals.${i}.id: duplicate terminal ${t.id}`, { source });
    seen.add(t.id);
  });
  return { shops, terminals, tokens: p.tokens ?? [], settings: p.settings ?? {}, issuers: p.issuers ?? [] };
}

export function loadProvisioning(file: string): Provisioning {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new AgentError("CONFIG_INVALID", `cannot read provisioning file ${file}: ${(e as Error).message}`, { file });
  }
  let value: unknown;
  try {
    value = file.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new AgentError("CONFIG_INVALID", `${file}: not valid ${file.endsWith(".json") ? "JSON" : "YAML"}: ${(e as Error).message}`, { file });
  }
  return parseProvisioning(value, file);
}
