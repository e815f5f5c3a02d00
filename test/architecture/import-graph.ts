// Reads every import of a set of TypeScript files — static (`import … from`, `export … from`,
// `import "x"`), type-only, `import("x")` calls and `import("x").T` types — with the TypeScript
// parser (not a regex: an import inside a string or a comment is not an import), and checks them
// against the layer table (layers.ts).
import { isBuiltin } from "node:module";
import { posix } from "node:path";
import ts from "typescript";
import { DEPRECATED_SHIMS, LAYERS, NO_SHIM_IMPORTS, type External, type Layer } from "./layers.ts";

export interface ImportRef {
  readonly specifier: string;
  /** The project file it names (repo-relative, posix), or undefined for an external module. */
  readonly target?: string;
  readonly line: number;
  /** static: loaded with the file; type: erased (`import type`, `import("x").T`); dynamic: `import("x")` at run time. */
  readonly kind: "static" | "type" | "dynamic";
}

export interface SourceFacts {
  readonly imports: readonly ImportRef[];
  /** `import(expr)` whose specifier is not a string literal: cannot be checked, so refused. */
  readonly computed: readonly number[];
  /** Only `export * from "…"` statements (a re-export shim). */
  readonly reexportOnly: boolean;
}

const parsed = new Map<string, { text: string; facts: SourceFacts }>();

/** The imports of one file (memoized on its text: the checker runs over the repository often). */
export function parseImports(file: string, text: string): SourceFacts {
  const hit = parsed.get(file);
  if (hit?.text === text) return hit.facts;
  const facts = parseUncached(file, text);
  parsed.set(file, { text, facts });
  return facts;
}

function parseUncached(file: string, text: string): SourceFacts {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const imports: ImportRef[] = [];
  const computed: number[] = [];
  const lineOf = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const add = (lit: ts.Node, kind: ImportRef["kind"]) => {
    if (!ts.isStringLiteralLike(lit)) return void computed.push(lineOf(lit));
    const specifier = lit.text;
    const target = specifier.startsWith(".") ? posix.normalize(posix.join(posix.dirname(file), specifier)) : undefined;
    imports.push({ specifier, ...(target !== undefined ? { target } : {}), line: lineOf(lit), kind });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add(node.moduleSpecifier, isTypeOnlyImport(node) ? "type" : "static");
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier) add(node.moduleSpecifier, node.isTypeOnly ? "type" : "static");
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression, node.isTypeOnly ? "type" : "static");
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg) add(arg, "dynamic");
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal, "type");
    ts.forEachChild(node, visit);
  };
  visit(sf);
  const reexportOnly =
    sf.statements.length > 0 && sf.statements.every((s) => ts.isExportDeclaration(s) && s.exportClause === undefined && s.moduleSpecifier !== undefined && !s.isTypeOnly);
  return { imports, computed, reexportOnly };
}

/** `import type …`, or `import { type A, type B }` with nothing but types: erased, loads nothing. */
function isTypeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause) return false; // `import "x"`: a side effect
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  return bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

export function layerOf(file: string): Layer | undefined {
  let best: Layer | undefined;
  let bestLen = -1;
  for (const layer of LAYERS) {
    for (const p of layer.paths) {
      const hit = p.endsWith("/") ? file.startsWith(p) : file === p;
      if (hit && p.length > bestLen) {
        best = layer;
        bestLen = p.length;
      }
    }
  }
  return best;
}

function externalAllowed(rule: External, specifier: string): boolean {
  if (typeof rule !== "string") return rule.includes(specifier);
  if (rule === "none") return false;
  if (rule === "node builtins") return isBuiltin(specifier);
  return true;
}

const show = (layer: Layer) =>
  `${layer.name} may import ${layer.mayImport.includes("*") ? "anything" : [layer.name, ...layer.mayImport].join(", ")}` +
  (layer.mayImportFiles?.length ? ` (+ ${layer.mayImportFiles.length} listed codec files)` : "") +
  (layer.mayImportLazily?.length ? ` (+ ${layer.mayImportLazily.join(", ")} by import() or import type only)` : "") +
  (layer.mayImportTypes?.length ? ` (+ types of ${layer.mayImportTypes.join(", ")} by import type only)` : "") +
  `; external modules: ${typeof layer.external === "string" ? layer.external : layer.external.join(", ")}`;

/** Every broken rule, one line each: `file:line → import (why)`. Empty when the graph is clean. */
export function checkImports(files: ReadonlyMap<string, string>): string[] {
  const facts = new Map<string, SourceFacts>();
  for (const [file, text] of files) facts.set(file, parseImports(file, text));
  const problems: string[] = [];

  for (const [file, f] of facts) {
    const layer = layerOf(file);
    if (!layer) {
      problems.push(`${file} → (not in any layer of test/architecture/layers.ts: add its folder to a layer)`);
      continue;
    }
    for (const line of f.computed) problems.push(`${file}:${line} → import(<computed>) (a specifier that is not a string literal cannot be checked)`);
    const isShim = DEPRECATED_SHIMS[file] !== undefined;
    if (f.reexportOnly && !isShim && f.imports.length === 1 && file.split("/").length > 1 && layerOf(f.imports[0]!.target ?? "") !== layer) {
      // A new pure re-export across layers is a shim nobody listed.
      problems.push(`${file} → ${f.imports[0]!.specifier} (a re-export shim not listed in DEPRECATED_SHIMS of test/architecture/layers.ts)`);
    }
    if (isShim) {
      const want = DEPRECATED_SHIMS[file]!;
      if (!f.reexportOnly || f.imports.length !== 1 || f.imports[0]!.target !== want) {
        problems.push(`${file} → (a deprecated shim must be exactly \`export * from "…/${want}"\`, nothing else)`);
      }
    }
    for (const imp of f.imports) {
      const where = `${file}:${imp.line} → ${imp.kind === "dynamic" ? `import("${imp.specifier}")` : imp.kind === "type" ? `type "${imp.specifier}"` : `"${imp.specifier}"`}`;
      if (imp.target === undefined) {
        if (!externalAllowed(layer.external, imp.specifier)) problems.push(`${where} (external module; ${show(layer)})`);
        continue;
      }
      if (!files.has(imp.target)) {
        problems.push(`${where} (no such file ${imp.target})`);
        continue;
      }
      const to = layerOf(imp.target);
      if (!to) continue; // reported as a file of no layer
      if (DEPRECATED_SHIMS[imp.target] !== undefined && NO_SHIM_IMPORTS.includes(layer.name)) {
        problems.push(`${where} (deprecated shim: import ${DEPRECATED_SHIMS[imp.target]} instead)`);
        continue;
      }
      if (to === layer || layer.mayImport.includes("*") || layer.mayImport.includes(to.name)) continue;
      if (layer.mayImportFiles?.some((x) => x.prefix === imp.target)) continue;
      if (imp.kind !== "static" && layer.mayImportLazily?.includes(to.name)) continue;
      if (imp.kind === "type" && layer.mayImportTypes?.includes(to.name)) continue;
      problems.push(`${where} (${imp.target} is ${to.name}; ${show(layer)})`);
    }
  }

  // Purity is transitive: what a pure layer loads, through the layers it may import (type-only
  // imports load nothing and are not followed).
  for (const [file] of facts) {
    const layer = layerOf(file);
    if (!layer?.pure) continue;
    const seen = new Set<string>([file]);
    const queue: { file: string; via: string[] }[] = [{ file, via: [] }];
    while (queue.length > 0) {
      const { file: at, via } = queue.shift()!;
      for (const imp of facts.get(at)?.imports ?? []) {
        if (imp.kind === "type") continue; // erased: loads nothing
        if (imp.target === undefined) {
          if (via.length > 0) problems.push(`${file} → ${[...via, at].slice(1).join(" → ")} → "${imp.specifier}" (${layer.name} is pure: nothing it reaches may import an external module)`);
          continue;
        }
        if (seen.has(imp.target) || !facts.has(imp.target)) continue;
        const to = layerOf(imp.target);
        if (to !== layer && !layer.mayImport.includes(to?.name ?? "")) continue; // a forbidden edge, reported above
        seen.add(imp.target);
        queue.push({ file: imp.target, via: [...via, at] });
      }
    }
  }
  return problems;
}
