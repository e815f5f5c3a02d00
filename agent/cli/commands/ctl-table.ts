// `ctl`'s command table, generated from the socket command specs (agent/daemon/sockets/commands.ts):
// the name, the socket (role), the summary and the arguments — each a `--kebab-case` option of the
// type the spec's schema gives it — come from the spec, so a command added there is a ctl command
// at once, and its arguments cannot drift from what the agent accepts. The CLI adds only what is
// about the command line (CTL_OVERRIDES): which arguments are positional, short options, how a
// value is written by a person (12.50, 15m), extra flags, and how a result is rendered.
import { AgentError } from "../../../base/errors.ts";
import { COMMANDS, type CommandSpec } from "../../daemon/sockets/commands.ts";
import { parseMinor } from "../../../base/money.ts";

export type Values = Record<string, string | boolean | undefined>;
export type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string }>;

/** One argument of a socket command, as its schema declares it. */
export interface ArgField {
  readonly key: string;
  readonly kind: "number" | "boolean" | "string" | "enum";
  /** Absent is fine (optional, defaulted). */
  readonly optional: boolean;
  readonly choices?: readonly string[];
}

export interface CtlOverride {
  /** Spec keys given as positional arguments, in order (the rest are options). */
  readonly positionals?: readonly string[];
  /** Option names that differ from the key's kebab case (e.g. flowId → "flow" for --flow). */
  readonly optionNames?: Readonly<Record<string, string>>;
  /** Placeholder names for the synopsis (default: the key in capitals). */
  readonly names?: Readonly<Record<string, string>>;
  /** How a person writes a value, when not as the schema's type (AMOUNT 12.50, --since 15m). */
  readonly parse?: Readonly<Record<string, (raw: string) => unknown>>;
  /** Spec keys not offered on the command line (the CLI sets or derives them). */
  readonly hide?: readonly string[];
  /** CLI-only flags and what they set (`sets: {}` for a flag only the renderer reads, e.g. --csv). */
  readonly flags?: Readonly<Record<string, { readonly sets: Readonly<Record<string, unknown>>; readonly synopsis?: string }>>;
  /** Synopsis override (when the generated one would not read well). */
  readonly synopsis?: string;
  /** Said after the spec's summary in the usage (a CLI-side hint). */
  readonly note?: string;
  /** A usage check before anything is sent (throw INPUT_INVALID: exit 2, nothing happens). */
  check?(args: Record<string, unknown>, values: Values): void;
  render?(result: any, values: Values): string;
  /** Paged listings: print the next page's cursor when the page came back full. */
  more?(values: Values, result: any): void;
}

export interface CtlSub {
  readonly name: string;
  readonly admin: boolean;
  readonly synopsis: string;
  readonly summary: string;
  readonly options: OptionSpec;
  readonly positionals: number;
  /** The spec keys the positionals fill, in order. */
  readonly positionalKeys: readonly string[];
  request(values: Values, positionals: readonly string[]): { cmd: string; args: Record<string, unknown> };
  render?(result: any, values: Values): string;
  more?(values: Values, result: any): void;
}

/** Socket commands ctl reaches through its own client code (a stream, a file), not one request. */
export const CTL_VIA: Readonly<Record<string, string>> = {
  watch: "ctl watch, ctl top",
  unwatch: "ctl watch, ctl top (closing the stream)",
  export: "ctl export (pages written to a file)",
  backup: "ctl backup FILE (packs the snapshot)",
  "backup-release": "ctl backup FILE (after writing it)",
  help: "ctl --help (the socket's help is for raw clients)",
};

const SHORT: Readonly<Record<string, string>> = { point: "p", n: "n" };
const NAMES: Readonly<Record<string, string>> = { point: "N", n: "N", since: "T" };

export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

type Def = { type: string; innerType?: ZodLike; in?: ZodLike; shape?: Record<string, ZodLike>; entries?: Record<string, string> };
type ZodLike = { _zod: { def: Def } };

/** The arguments of a spec, read from its zod schema (object, possibly defaulted/refined). */
export function argFields(spec: CommandSpec): ArgField[] {
  const unwrap = (t: ZodLike): { def: Def; optional: boolean } => {
    let optional = false;
    let def = t._zod.def;
    for (;;) {
      if ((def.type === "optional" || def.type === "default" || def.type === "prefault") && def.innerType) {
        optional = true;
        def = def.innerType._zod.def;
      } else if (def.type === "nullable" && def.innerType) def = def.innerType._zod.def;
      else if (def.type === "pipe" && def.in) def = def.in._zod.def;
      else return { def, optional };
    }
  };
  const root = unwrap(spec.args as unknown as ZodLike).def;
  if (root.type !== "object" || !root.shape) throw new Error(`socket command ${spec.name}: its args are not an object schema`);
  return Object.entries(root.shape).map(([key, t]) => {
    const { def, optional } = unwrap(t);
    const kind = def.type === "number" || def.type === "boolean" || def.type === "enum" ? def.type : "string";
    return { key, kind, optional, ...(def.type === "enum" && def.entries ? { choices: Object.values(def.entries) } : {}) };
  });
}

/** Every number a ctl command takes as typed is a count, a point, an amount or a timeout: positive. */
function parseNumber(label: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isSafeInteger(n) || n <= 0) throw new AgentError("INPUT_INVALID", `${label}: expected a positive integer, got '${raw}'`);
  return n;
}

/** The ctl subcommand of one socket command. */
export function ctlSub(spec: CommandSpec, o: CtlOverride = {}): CtlSub {
  const fields = argFields(spec).filter((f) => !o.hide?.includes(f.key));
  const positional = o.positionals ?? [];
  for (const p of positional) if (!fields.some((f) => f.key === p)) throw new Error(`ctl ${spec.name}: positional ${p} is not an argument of the socket command`);
  const optionFields = fields.filter((f) => !positional.includes(f.key));
  const optionName = (f: ArgField) => o.optionNames?.[f.key] ?? kebab(f.key);
  const options: OptionSpec = {};
  for (const f of optionFields) options[optionName(f)] = { type: f.kind === "boolean" ? "boolean" : "string", ...(SHORT[f.key] ? { short: SHORT[f.key]! } : {}) };
  for (const flag of Object.keys(o.flags ?? {})) options[flag] = { type: "boolean" };

  const placeholder = (f: ArgField) => o.names?.[f.key] ?? NAMES[f.key] ?? (f.choices ? f.choices.join("|") : kebab(f.key).toUpperCase().replace(/-/g, "_"));
  const optionText = (f: ArgField) => {
    const flag = SHORT[f.key] === f.key ? `-${f.key}` : `--${optionName(f)}`;
    const text = f.kind === "boolean" ? flag : `${flag} ${placeholder(f)}`;
    return f.optional || f.kind === "boolean" ? `[${text}]` : text;
  };
  const synopsis =
    o.synopsis ??
    [spec.name, ...optionFields.filter((f) => !f.optional).map(optionText), ...positional.map((p) => placeholder(fields.find((f) => f.key === p)!)), ...optionFields.filter((f) => f.optional).map(optionText), ...Object.entries(o.flags ?? {}).map(([k, v]) => v.synopsis ?? `[--${k}]`)].join(" ");

  const convert = (f: ArgField, raw: string, label: string): unknown => {
    const custom = o.parse?.[f.key];
    if (custom) return custom(raw);
    return f.kind === "number" ? parseNumber(label, raw) : raw;
  };

  return {
    name: spec.name,
    admin: spec.role === "admin",
    synopsis,
    summary: o.note ? `${spec.summary}; ${o.note}` : spec.summary,
    options,
    positionals: positional.length,
    positionalKeys: positional,
    request(values, given) {
      const args: Record<string, unknown> = {};
      positional.forEach((key, i) => {
        const f = fields.find((x) => x.key === key)!;
        args[key] = convert(f, given[i]!, placeholder(f));
      });
      for (const f of optionFields) {
        const raw = values[optionName(f)];
        const label = `--${optionName(f)}`;
        if (raw === undefined || raw === false) {
          if (!f.optional && f.kind !== "boolean") throw new AgentError("INPUT_INVALID", `${label} is required`);
          continue;
        }
        args[f.key] = f.kind === "boolean" ? true : convert(f, String(raw), label);
      }
      for (const [flag, { sets }] of Object.entries(o.flags ?? {})) if (values[flag] === true) Object.assign(args, sets);
      o.check?.(args, values);
      return { cmd: spec.name, args };
    },
    ...(o.render ? { render: o.render } : {}),
    ...(o.more ? { more: o.more } : {}),
  };
}

/**
 * Every socket command that is not hidden and not reached through CTL_VIA, as a ctl subcommand,
 * in the specs' order.
 */
export function ctlTable(overrides: Readonly<Record<string, CtlOverride>>): CtlSub[] {
  for (const name of Object.keys(overrides)) {
    if (!COMMANDS.some((c) => c.name === name)) throw new Error(`ctl override for '${name}': no such socket command`);
  }
  return COMMANDS.filter((c) => !c.hidden && CTL_VIA[c.name] === undefined).map((c) => ctlSub(c, overrides[c.name]));
}

/** `AMOUNT` as a person writes it (12.50) → minor units. */
export const amountArg = (raw: string): number => parseMinor(raw);

/** An amount that must be more than zero (a refund, an invoice): 0 or less is a usage error here, not a request the agent refuses. */
export const positiveAmountArg = (raw: string): number => {
  const minor = parseMinor(raw);
  if (minor <= 0) throw new AgentError("INPUT_INVALID", `AMOUNT: expected more than 0 in currency units (e.g. 12.50), got '${raw}'`);
  return minor;
};
