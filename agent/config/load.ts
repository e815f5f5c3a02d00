// Reading a config file: YAML → migrations → one zod validation. Every problem is reported as
// `path: problem` (e.g. `points[2].terminal.password: required`), all of them at once, so an
// operator fixes the file in one go. Nothing here starts anything: `config check` uses it too.
import { readFile } from "node:fs/promises";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { AgentError } from "../../base/errors.ts";
import { migrate } from "./migrations.ts";
import { ConfigSchema, type AgentConfig } from "./schema.ts";

export interface LoadedConfig {
  readonly config: AgentConfig;
  readonly file: string;
  /** Descriptions of the migrations applied to bring the file to the current version. */
  readonly migrations: readonly string[];
}

/** `["points", 2, "terminal", "password"]` → `points[2].terminal.password`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? "(top level)" : out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  return `${formatPath(issue.path)}: ${issue.message}`;
}

function invalid(problems: readonly string[], file: string): AgentError {
  return new AgentError("CONFIG_INVALID", `${file}: ${problems.length} problem(s)\n  ${problems.join("\n  ")}`, { file, problems });
}

/** Validates an already-parsed document (tests, reload). */
export function parseConfig(doc: unknown, file = "(config)"): LoadedConfig {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw invalid(["(top level): must be a mapping of sections (station, glase, points, devices, …)"], file);
  }
  const { raw, applied } = migrate(doc as Record<string, unknown>);
  const result = ConfigSchema.safeParse(raw, {
    // A missing key reads better as "required" than as zod's "expected string, received undefined".
    error: (iss) => (iss.code === "invalid_type" && iss.input === undefined ? "required" : undefined),
  });
  if (!result.success) throw invalid(result.error.issues.map(describeIssue), file);
  return { config: result.data, file, migrations: applied };
}

export function parseConfigText(text: string, file = "(config)"): LoadedConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw invalid(doc.errors.map((e) => `YAML ${e.linePos?.[0] ? `line ${e.linePos[0].line}` : ""}: ${e.message.split("\n")[0]}`), file);
  }
  return parseConfig(doc.toJS(), file);
}

export async function loadConfig(file: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new AgentError("CONFIG_INVALID", `${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? "error"})`, { file });
  }
  return parseConfigText(text, file);
}
