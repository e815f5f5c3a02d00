// The layers of the program: the ONE table both the import-rule test (import-rules.test.ts) and
// ARCHITECTURE.md use — the test renders it as Markdown and fails when the block between the
// `layers:begin`/`layers:end` markers of ARCHITECTURE.md differs, so the document cannot drift.
//
// A file belongs to the layer with the longest matching path prefix. A layer may import itself,
// the layers it names, the single files it names (each with its reason) and the external modules
// its `external` rule allows. Nothing else.

export type External =
  /** no external module at all */
  | "none"
  /** node's built-in modules only */
  | "node builtins"
  /** node's built-in modules and npm packages */
  | "npm packages and node builtins"
  /** exactly these external modules */
  | readonly string[];

export interface Layer {
  readonly name: string;
  /** Path prefixes: a folder ends in "/", anything else is one file. */
  readonly paths: readonly string[];
  /** One line for ARCHITECTURE.md: what lives here. */
  readonly holds: string;
  /** Layers it may import besides itself; "*" is every layer. */
  readonly mayImport: readonly string[];
  /** Single files of other layers it may import, and why. */
  readonly mayImportFiles?: readonly { readonly prefix: string; readonly why: string }[];
  /** Layers it may reach only lazily — `import()` at run time or `import type` (erased) — never statically. */
  readonly mayImportLazily?: readonly string[];
  /** Layers it may import types from (`import type`, erased: no code of theirs is loaded). */
  readonly mayImportTypes?: readonly string[];
  readonly external: External;
  /**
   * Pure: nothing the layer reaches, transitively through the layers it may import, imports an
   * external module (no node:fs, node:net, sqlite3, … — not even by way of base/io or a contract).
   */
  readonly pure?: boolean;
}

export const LAYERS: readonly Layer[] = [
  {
    name: "base",
    paths: ["base/"],
    holds: "errors with codes (AgentError), the logger, Clock/Scheduler, money in minor units",
    mayImport: [],
    external: "none",
    pure: true,
  },
  {
    name: "base/io",
    paths: ["base/io/"],
    holds: "the bounded HTTP body reader, durable (fsync'd) files",
    mayImport: ["base"],
    external: "node builtins",
  },
  {
    name: "contracts",
    paths: ["contracts/"],
    holds: "device contracts (dispenser, printer, scanner, kiosk, driver store) and the wire contracts the agent and its twins share (Glase types, result codes, WSDL; Invoice Service details, JWT, token, QR)",
    mayImport: ["base"],
    external: ["zod", "node:crypto", "node:fs", "node:url"],
  },
  {
    name: "core",
    paths: ["agent/core/"],
    holds: "the pure payment state machines: transition(state, input) → { state, effects }",
    mayImport: ["base", "contracts"],
    external: "none",
    pure: true,
  },
  {
    name: "drivers",
    paths: ["drivers/"],
    holds: "one folder per device protocol (line board, PTS-2, OCPP 1.6J, MDB, kiosk API, ESC/POS, scanners)",
    mayImport: ["base", "base/io", "contracts"],
    // A driver module exports its virtual twin (issue 12: the registry picks driver and twin by
    // `driver:`), but only behind import(): a site with real devices never loads simulator code.
    mayImportLazily: ["simulator"],
    external: "npm packages and node builtins",
  },
  {
    name: "simulator",
    paths: ["simulator/"],
    holds: "the virtual twins of the devices, the Glase simulator, the simulated Invoice Service",
    mayImport: ["base", "base/io", "contracts"],
    // A twin speaks the same bytes as its driver: it reuses the driver's codec rather than keep a
    // second copy that could agree with itself and not with the driver. Only these files.
    mayImportFiles: [
      { prefix: "drivers/dispenser/protocol.ts", why: "line-protocol codec (the board twin)" },
      { prefix: "drivers/dispenser/protocol-fields.ts", why: "line-protocol field codec" },
      { prefix: "drivers/dispenser/protocol-replies.ts", why: "line-protocol reply codec" },
      { prefix: "drivers/dispenser/point-model.ts", why: "the dispenser point state machine the board runs" },
      { prefix: "drivers/dispenser/transport.ts", why: "line transport contract" },
      { prefix: "drivers/dispenser/transport-serial.ts", why: "the same serial framing on the twin's pty end" },
      { prefix: "drivers/dispenser/transport-tcp.ts", why: "the same TCP framing" },
      { prefix: "drivers/dispenser/in-memory.ts", why: "the default grades the in-memory controller and the twin share" },
      { prefix: "drivers/ocpp16/messages.ts", why: "OCPP 1.6J message names and constants" },
      { prefix: "drivers/ocpp16/rpc.ts", why: "the strict (schema-validated) OCPP-J RPC endpoint, client side" },
      { prefix: "drivers/printer/escpos-status.ts", why: "ESC/POS status bytes the virtual printer answers" },
      { prefix: "drivers/mdb/protocol.ts", why: "MDB amount codec" },
      { prefix: "drivers/scanner/scan-parser.ts", why: "scan parsing options" },
      { prefix: "drivers/scanner/scan-dispatcher.ts", why: "the scanner's dispatch, with no HID underneath" },
      { prefix: "drivers/scanner/dispatching-scanner.ts", why: "the virtual scanner is the driver minus the hardware" },
    ],
    // A twin is started from its driver's config entry (simulator/twins/ on branch dev): the
    // driver's types, never its code.
    mayImportTypes: ["drivers"],
    external: "npm packages and node builtins",
  },
  {
    name: "simulation door",
    paths: ["agent/daemon/simulation.ts"],
    holds: "the shell's only door to simulator/ (lazy loaders, so production never loads a twin)",
    mayImport: ["simulator", "shell", "base", "base/io", "contracts", "core", "drivers"],
    external: "npm packages and node builtins",
  },
  {
    name: "shell",
    paths: ["agent/"],
    holds: "composes the rest: engine, journal, Glase client, flows, daemon (composition root: agent/daemon/compose.ts), sockets, CLI, config, Invoice Service, alerts, backup, export, doctor",
    mayImport: ["base", "base/io", "contracts", "core", "drivers", "simulation door"],
    external: "npm packages and node builtins",
  },
  {
    name: "tools",
    paths: ["test/", "bench/", "scripts/", "bin/", "config/", "vitest.config.ts"],
    holds: "tests, benchmarks, build scripts, the executable, example configs: may use anything, nothing product imports them",
    mayImport: ["*"],
    external: "npm packages and node builtins",
  },
];

/**
 * Re-export shims left at the old paths of moved modules (issue 12), so branches written against
 * the old paths still merge. Each is nothing but `export * from "<new path>"`. Deprecated: no
 * product file may import one (the shell's imports were rewritten to the new paths); tests and
 * benches still may until the branches in flight are merged, then they go (the test lists them).
 * A shim nothing imports is deleted (its mapping stays in scripts/rewrite-shim-imports.mjs).
 */
export const DEPRECATED_SHIMS: Readonly<Record<string, string>> = {
  "agent/errors.ts": "base/errors.ts",
  "agent/log.ts": "base/log.ts",
  "agent/core/clock.ts": "base/clock.ts",
  "agent/core/money.ts": "base/money.ts",
  "agent/durable-file.ts": "base/io/durable-file.ts",
  "agent/glase/types.ts": "contracts/glase/types.ts",
  "agent/glase/result-codes.ts": "contracts/glase/result-codes.ts",
  "agent/glase/wsdl.ts": "contracts/glase/wsdl.ts",
  "agent/invoice-service/details.ts": "contracts/invoice-service/details.ts",
  "agent/invoice-service/jwt.ts": "contracts/invoice-service/jwt.ts",
  "agent/invoice-service/qr.ts": "contracts/invoice-service/qr.ts",
  "agent/invoice-service/token.ts": "contracts/invoice-service/token.ts",
  "drivers/dispenser/contract.ts": "contracts/dispenser.ts",
  "drivers/printer/contract.ts": "contracts/printer.ts",
  "drivers/scanner/contract.ts": "contracts/scanner.ts",
  "drivers/kiosk/contract.ts": "contracts/kiosk.ts",
  "drivers/driver-store.ts": "contracts/driver-store.ts",
};

/** Layers that may not import a shim (they import the new paths); only tools (tests, benches) still may. */
export const NO_SHIM_IMPORTS: readonly string[] = ["base", "base/io", "contracts", "core", "drivers", "simulator", "simulation door", "shell"];

export function externalRule(e: External): string {
  return typeof e === "string" ? e : e.join(", ");
}

/** The table as ARCHITECTURE.md shows it (between its layers:begin / layers:end markers). */
export function renderLayersMarkdown(): string {
  const rows = LAYERS.map((l) => {
    const imports = l.mayImport.includes("*") ? "anything" : [...l.mayImport].join(", ") || "nothing";
    const files = l.mayImportFiles?.length ? `; and only these files of drivers/: ${l.mayImportFiles.map((f) => `\`${f.prefix.replace(/^drivers\//, "")}\``).join(", ")}` : "";
    const lazy =
      (l.mayImportLazily?.length ? `; ${l.mayImportLazily.join(", ")} only by \`import()\` or \`import type\`` : "") +
      (l.mayImportTypes?.length ? `; types of ${l.mayImportTypes.join(", ")} (\`import type\` only)` : "");
    const pure = l.pure ? " — **pure**: nothing it reaches imports an external module" : "";
    return `| ${l.name} | ${l.paths.map((p) => `\`${p}\``).join(" ")} | ${imports}${files}${lazy} | ${externalRule(l.external)}${pure} | ${l.holds} |`;
  });
  const shims = Object.entries(DEPRECATED_SHIMS).map(([from, to]) => `- \`${from}\` → \`${to}\``);
  return [
    "| layer | files | may import (besides itself) | external modules | holds |",
    "|---|---|---|---|---|",
    ...rows,
    "",
    `Deprecated re-export shims (old paths; only \`export * from\`; ${NO_SHIM_IMPORTS.join(", ")} may not import them):`,
    "",
    ...shims,
  ].join("\n");
}
