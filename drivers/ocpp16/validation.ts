// The strict-mode validator of the agent's central system: the official OCPP 1.6 JSON schemas
// (as shipped with ocpp-rpc), with ONE deliberate deviation. For the transaction messages a
// charger keeps queued until answered — StartTransaction, StopTransaction, MeterValues — extra
// properties the schemas forbid (additionalProperties: false: vendor fields, a newer firmware's
// additions) are accepted and logged, because a CALLERROR makes a charger drop the message
// after a few tries, and with it the meterStop or the start it carries: the customer's energy
// would be settled from samples or not at all. Every field the schema does define is still
// validated strictly (types, required, enums, lengths), and every other message is validated
// exactly as the schema says.
import { createRequire } from "node:module";
import ocppRpc from "ocpp-rpc";

/** The messages whose extra properties are accepted (and logged), never answered with a CALLERROR. */
export const LENIENT_ACTIONS = ["StartTransaction", "StopTransaction", "MeterValues"] as const;

type Schema = { $id?: string; additionalProperties?: unknown; [k: string]: unknown };

/** A copy of a schema with every additionalProperties: false lifted (the defined properties unchanged). */
function lenient(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(lenient);
  if (typeof node !== "object" || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "additionalProperties" && v === false) continue;
    out[k] = lenient(v);
  }
  return out;
}

const official = createRequire(import.meta.url)("ocpp-rpc/lib/schemas/ocpp1_6.json") as Schema[];
const lenientIds = new Set(LENIENT_ACTIONS.map((a) => `urn:${a}.req`));

interface Validator {
  readonly subprotocol: string;
  validate(schemaId: string, params: unknown): unknown;
}
const lib = ocppRpc as unknown as { createValidator(subprotocol: string, schemas: unknown[]): Validator };

/** The ocpp1.6 validator the central system runs in strict mode. */
export const ocpp16Validator: Validator = lib.createValidator(
  "ocpp1.6",
  official.map((s) => (s.$id && lenientIds.has(s.$id) ? (lenient(s) as Schema) : s)),
);

const strict: Validator = lib.createValidator("ocpp1.6", official);

/**
 * The properties of a lenient message the official schema does not define (for the log), e.g.
 * ["vendorSessionId"]; [] when the message is valid as the schema stands.
 */
export function extraProperties(action: string, params: unknown): string[] {
  if (!(LENIENT_ACTIONS as readonly string[]).includes(action)) return [];
  try {
    strict.validate(`urn:${action}.req`, params);
    return [];
  } catch (err) {
    const errors = ((err as { details?: { errors?: Array<{ keyword: string; instancePath: string; params: { additionalProperty?: string } }> } }).details?.errors ?? []);
    return errors.filter((e) => e.keyword === "additionalProperties").map((e) => `${e.instancePath}/${e.params.additionalProperty ?? "?"}`);
  }
}
