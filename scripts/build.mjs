#!/usr/bin/env node
// npm run build — the production build of the agent: one ESM entry `dist/glase-agent.mjs` (plus
// the chunks of its lazily loaded parts) bundled by esbuild, so the daemon runs plain JavaScript
// instead of paying for the tsx loader (~30 MiB RSS, slower start). Development keeps running the
// TypeScript sources through tsx (bin/glase-agent.js, `npm start`): a stale dist/ is never picked
// up by accident — only systemd/glase-agent.service names it.
//
// - Pure-JS packages are bundled, natives are not (EXTERNAL below: sqlite3, serialport, node-hid,
//   the optional unix-dgram …). Bundling lets esbuild tree-shake rxjs and leave out modules that
//   packages load eagerly for features the agent never uses (UNUSED below) — measured by
//   `npm run bench:station`: the agent's RSS fell from 112 to 90 MiB with this alone. The
//   externals resolve at run time from the checkout's node_modules, so dist/ must stay inside the
//   checkout (dist/ → ../node_modules).
// - `splitting`: each `import()` of an optional part (the simulator, virtual devices, the HID
//   scanner, the CLI commands) becomes its own chunk beside the entry, loaded only when used — the
//   daemon of a real site never reads the simulator's code. Chunks stay flat in the output folder
//   because modules resolve files relative to `import.meta.url` (the XSD below).
// - Assets read at run time next to their module are copied: contracts/glase/wsdl.ts reads
//   `./wsdl/cashregister-2.xsd` relative to import.meta.url, i.e. `<outDir>/wsdl/…` in the bundle.
// - GLASE_AGENT_VERSION is defined at build time (agent/daemon/run.ts reads package.json from the
//   sources only when it is not), and GLASE_AGENT_PRODUCTION: the production bundle has no test
//   hooks, whatever the environment says.
//
// Usage: node scripts/build.mjs [--outdir DIR]   (default: dist/ of the checkout)
import { copyFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ENTRY = join(ROOT, "agent", "cli", "entry.ts");
const ASSETS = [["contracts/glase/wsdl/cashregister-2.xsd", "wsdl/cashregister-2.xsd"]];

/** Packages resolved from node_modules at run time, not bundled: the natives (and their loaders). */
const EXTERNAL = [
  ...["sqlite3", "serialport", "@serialport/*", "node-hid", "unix-dgram", "glase-peer-credentials", "esbuild", "tsx"],
  // iconv-lite requires each code page's tables on first use; bundled, all of them (0.5 MB of
  // source) would sit in the heap although a receipt printer needs one.
  "iconv-lite",
];

/**
 * Modules that packages we use `require` at load time for features the agent never uses. In the
 * bundle they are replaced by a stub that throws, naming the module, if anything ever calls it.
 * Measured by `npm run bench:station` (each line: the RSS it costs when loaded).
 */
const UNUSED = {
  // escpos/index.js → image printing (get-pixels pulls `request`, ajv, sshpk, pngjs, jpeg-js …) and
  // qrimage() rasterising; drivers/printer/escpos-encoder.ts writes text and a native GS ( k QR.
  "get-pixels": "escpos image printing",
  "qr-image": "escpos qrimage()",
  // soap/lib/http.js → soap's own HTTP client; GlaseClient passes its transport (client-transport.ts)
  // and the WSDL's schema import is a local file, so soap never sends through axios.
  axios: "soap's default HTTP client",
  "axios-ntlm": "soap's NTLM HTTP client",
  // soap/lib/security → WS-Security X.509 signing; Glase authenticates in the message body.
  "xml-crypto": "soap's WSSecurityCert",
};

const unusedModules = {
  name: "unused-modules",
  setup(b) {
    const names = Object.keys(UNUSED).map((n) => n.replace(/[-/]/g, "\\$&"));
    b.onResolve({ filter: new RegExp(`^(${names.join("|")})$`) }, (args) => ({ path: args.path, namespace: "unused" }));
    b.onLoad({ filter: /.*/, namespace: "unused" }, (args) => ({
      loader: "js",
      contents: `const fail = () => { throw new Error(${JSON.stringify(`${args.path} (${UNUSED[args.path]}) is left out of the glase-agent bundle (scripts/build.mjs): the agent does not use it`)}); };
module.exports = new Proxy(fail, { get: (t, p) => (p === "__esModule" || typeof p === "symbol" || p === "then" ? undefined : fail), construct: fail, apply: fail });`,
    }));
  },
};

/** Builds the agent into `outDir` (emptied first) and returns the entry's path. */
export async function buildAgent(outDir = join(ROOT, "dist")) {
  const { build } = await import("esbuild");
  const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  rmSync(outDir, { recursive: true, force: true });
  await build({
    entryPoints: { "glase-agent": ENTRY },
    outdir: outDir,
    outExtension: { ".js": ".mjs" },
    chunkNames: "chunk-[hash]",
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // Pure-JS packages are bundled (tree-shaken ESM: rxjs is Subject and little else), natives not.
    external: EXTERNAL,
    plugins: [unusedModules],
    // rxjs's "node" export condition is its CommonJS build (223 modules, no tree-shaking).
    alias: { rxjs: join(ROOT, "node_modules", "rxjs", "dist", "esm", "index.js") },
    // Bundled CommonJS packages `require` Node's builtins and the external natives.
    banner: { js: 'import { createRequire as __glaseCreateRequire } from "node:module"; const require = __glaseCreateRequire(import.meta.url);' },
    // GLASE_AGENT_PRODUCTION: test hooks (GLASE_AGENT_TEST_HOOKS) are compiled out of what the unit runs.
    define: { GLASE_AGENT_VERSION: JSON.stringify(version), GLASE_AGENT_PRODUCTION: "true" },
    legalComments: "none",
    logLevel: "warning",
  });
  for (const [from, to] of ASSETS) {
    mkdirSync(dirname(join(outDir, to)), { recursive: true });
    copyFileSync(join(ROOT, from), join(outDir, to));
  }
  return join(outDir, "glase-agent.mjs");
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { outdir: { type: "string" } } });
  const entry = await buildAgent(values.outdir ? resolve(values.outdir) : undefined);
  process.stdout.write(`built ${entry}\n`);
}
