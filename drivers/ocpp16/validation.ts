// The strict-mode validator of the agent's central system: the official OCPP 1.6 JSON schemas
// (as shipped with ocpp-rpc), with deliberate deviations for the transaction messages a charger
// keeps queued until answered — StartTransaction, StopTransaction, MeterValues. A CALLERROR makes
// a charger drop such a message after a few tries (OCPP 1.6 §3.7.1: TransactionMessageAttempts),
// and with it the meterStop or the start it carries: the customer's energy would be settled from
// samples or not at all. So, for those three:
// - extra properties the schemas forbid (additionalProperties: false: vendor fields, a newer
//   firmware's additions) are accepted and logged;
// - StopTransaction is validated strictly only in what the agent settles from — transactionId,
//   meterStop, timestamp. Its idTag, reason and transactionData (the agent reads no sample of it)
//   are accepted whatever they hold; one that breaks the schema is then dropped by
//   `sanitizeTransactionMessage` before the driver sees the message (an invalid reason reads as
//   absent, an invalid idTag as no idTag) and reported as the charger's schema violation;
// - MeterValues is validated strictly down to each meter value's timestamp and sampledValue
//   array; a sampled value that breaks the schema is dropped (a JSON number as `value` — OpenEVSE
//   — is read as its decimal text first), and the rest of the message is used.
// Every other message is validated exactly as the schema says — with one format of the agent's
// own: a date-time is valid when the agent reads it as an instant (timestamps.ts).
import { createRequire } from "node:module";
import ocppRpc from "ocpp-rpc";
import { AgentError } from "../../base/errors.ts";
import { readableTime } from "./timestamps.ts";

/** The messages whose extra properties are accepted (and logged), never answered with a CALLERROR. */
export const LENIENT_ACTIONS = ["StartTransaction", "StopTransaction", "MeterValues"] as const;

type Schema = { $id?: string; additionalProperties?: unknown; properties?: Record<string, Schema>; items?: Schema; [k: string]: unknown };

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
const schemaOf = (id: string): Schema => lenient(official.find((s) => s.$id === id)!) as Schema;

/** StopTransaction fields the agent does not settle from: any value passes the gate (sanitized after). */
const STOP_UNUSED = ["idTag", "reason", "transactionData"] as const;

/** The schema at the gate (what a CALLERROR is sent for) of each lenient message. */
function gateSchema(s: Schema): Schema {
  const l = lenient(s) as Schema;
  if (s.$id === "urn:StopTransaction.req") {
    return { ...l, properties: { ...l.properties, ...Object.fromEntries(STOP_UNUSED.map((k) => [k, {}])) } };
  }
  if (s.$id === "urn:MeterValues.req") {
    const mv = l.properties!.meterValue!;
    const item = mv.items!;
    return { ...l, properties: { ...l.properties, meterValue: { ...mv, items: { ...item, properties: { ...item.properties, sampledValue: { type: "array", items: {} } } } } } };
  }
  return l;
}

interface Validator {
  readonly subprotocol: string;
  validate(schemaId: string, params: unknown): unknown;
}
const lib = ocppRpc as unknown as { createValidator(subprotocol: string, schemas: unknown[]): Validator };

/**
 * ocpp-rpc's validator with the agent's date-time format (timestamps.ts): every timestamp the
 * validator lets through is one the agent reads; the rest get the schema's CALLERROR. Set on its
 * ajv before any schema is compiled (ajv compiles at first use).
 */
function createValidator(schemas: unknown[]): Validator {
  const v = lib.createValidator("ocpp1.6", schemas);
  const ajv = (v as { _ajv?: { addFormat(name: string, format: { type: "string"; validate: (s: string) => boolean }): unknown } })._ajv;
  if (typeof ajv?.addFormat !== "function") throw new AgentError("INTERNAL", "ocpp-rpc's validator no longer exposes its ajv: the date-time format cannot be set (drivers/ocpp16/validation.ts)");
  ajv.addFormat("date-time", { type: "string", validate: readableTime });
  return v;
}

/** The ocpp1.6 validator the central system runs in strict mode. */
export const ocpp16Validator: Validator = createValidator(official.map((s) => (s.$id && lenientIds.has(s.$id) ? gateSchema(s) : s)));

const strict: Validator = createValidator(official);

const SAMPLED_VALUE_ID = "urn:glase:SampledValue";
const STOP_ID = "urn:glase:StopTransaction";
/** The official schemas (extra properties allowed) of what the gate lets through unchecked. */
const after: Validator = createValidator([
  { ...schemaOf("urn:StopTransaction.req"), $id: STOP_ID },
  { ...schemaOf("urn:MeterValues.req").properties!.meterValue!.items!.properties!.sampledValue!.items!, $id: SAMPLED_VALUE_ID, $schema: "http://json-schema.org/draft-07/schema" },
]);

type AjvError = { keyword: string; instancePath: string; message?: string; params?: { additionalProperty?: string } };
const errorsOf = (err: unknown): AjvError[] => (err as { details?: { errors?: AjvError[] } }).details?.errors ?? [];

/** The first schema error of a value ("" path = the value itself), or undefined if valid. */
function firstError(v: Validator, id: string, value: unknown): AjvError | undefined {
  try {
    v.validate(id, value);
    return undefined;
  } catch (err) {
    return errorsOf(err)[0] ?? { keyword: "?", instancePath: "", message: (err as Error).message };
  }
}

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
    return errorsOf(err)
      .filter((e) => e.keyword === "additionalProperties")
      .map((e) => `${e.instancePath}/${e.params?.additionalProperty ?? "?"}`);
  }
}

/** What a charger sent against the schema that the agent accepted and dropped: "<field path> <problem>". */
export type SchemaProblem = string;

/**
 * A StopTransaction or MeterValues that passed the gate, with every part that breaks the official
 * schema dropped (see the header); `problems` names each (empty: the message was valid).
 */
export function sanitizeTransactionMessage<T>(action: string, params: T): { readonly params: T; readonly problems: readonly SchemaProblem[] } {
  if (action === "StopTransaction") return sanitizeStop(params as Record<string, unknown>) as { params: T; problems: SchemaProblem[] };
  if (action === "MeterValues") return sanitizeMeterValues(params as Record<string, unknown>) as { params: T; problems: SchemaProblem[] };
  return { params, problems: [] };
}

function sanitizeStop(params: Record<string, unknown>): { params: Record<string, unknown>; problems: SchemaProblem[] } {
  const problems: SchemaProblem[] = [];
  let cur = params;
  // One error at a time (ajv stops at the first): each drops one unused top-level field.
  for (let i = 0; i <= STOP_UNUSED.length; i++) {
    const e = firstError(after, STOP_ID, cur);
    if (!e) break;
    const field = e.instancePath.split("/")[1] as (typeof STOP_UNUSED)[number] | undefined;
    if (!field || !(STOP_UNUSED as readonly string[]).includes(field)) break; // the gate checked the rest
    problems.push(`StopTransaction${e.instancePath} ${e.message ?? e.keyword} (ignored)`);
    const { [field]: _dropped, ...rest } = cur;
    cur = rest;
  }
  return { params: cur, problems };
}

/**
 * How many invalid sampled values one MeterValues may cost before the rest of it is dropped
 * unread (review 13b R13b-3): each one is an ajv error thrown and caught, and a 1 MiB frame of
 * 25 000 of them held the one event loop ~0.6 s — every other charger, the Glase polls and the
 * flows' timers waited behind it. A charger that sends that many broken values sends no usable
 * progress in that message; its meterStop still settles the session. The bound is counted apart
 * for the energy register (measurand Energy.Active.Import.Register, or none: the default) and for
 * every other value (review 13c C4: a firmware sending a broken Temperature in every item of a
 * batched MeterValues lost the registers of item 21 on — the newest, the only ones money needs).
 */
export const MAX_INVALID_SAMPLED_VALUES = 20;

const REGISTER = "Energy.Active.Import.Register";
const isRegister = (sv: unknown): boolean => {
  const m = typeof sv === "object" && sv !== null ? (sv as { measurand?: unknown }).measurand : undefined;
  return m === undefined || m === REGISTER;
};

function sanitizeMeterValues(params: Record<string, unknown>): { params: Record<string, unknown>; problems: SchemaProblem[] } {
  const problems: SchemaProblem[] = [];
  const invalid = { register: 0, other: 0 };
  let dropped = 0;
  const meterValue = (params.meterValue as Array<Record<string, unknown>>).map((mv, i) => ({
    ...mv,
    sampledValue: (mv.sampledValue as unknown[]).flatMap((sv, j) => {
      const kind = isRegister(sv) ? "register" : "other";
      if (invalid[kind] >= MAX_INVALID_SAMPLED_VALUES) return (dropped++, []);
      const path = `MeterValues/meterValue/${i}/sampledValue/${j}`;
      let v = sv;
      if (typeof v === "object" && v !== null && typeof (v as { value?: unknown }).value === "number" && Number.isFinite((v as { value: number }).value)) {
        problems.push(`${path}/value is a JSON number, not a string (read as its decimal text)`);
        v = { ...(v as object), value: String((v as { value: number }).value) };
      }
      const e = firstError(after, SAMPLED_VALUE_ID, v);
      if (!e) return [v];
      problems.push(`${path}${e.instancePath} ${e.message ?? e.keyword} (sampled value ignored)`);
      invalid[kind]++;
      return [];
    }),
  }));
  if (dropped > 0) problems.push(`MeterValues: ${dropped} more sampled value(s) dropped unread after ${MAX_INVALID_SAMPLED_VALUES} invalid ones of their kind (energy register, or other)`);
  return { params: { ...params, meterValue }, problems };
}
