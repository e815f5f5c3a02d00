#!/usr/bin/env node
// After merging a branch written against the old paths (issue 12 moved modules to base/ and
// contracts/, leaving `export * from` shims): points every relative import of the given folders
// that names a shim at the shim's target instead. The import-rule test refuses shims in base/,
// contracts/, agent/core/, drivers/ and simulator/.
//   node scripts/rewrite-shim-imports.mjs agent drivers simulator
// An edit the branch made to a moved file itself is ported by hand (or: git diff BASE BRANCH --
// OLD | sed "s#OLD#NEW#g" | git apply --3way), keeping the shim at OLD.
import fs from 'node:fs'; import path from 'node:path';
const root = process.cwd();
const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  console.error("usage: node scripts/rewrite-shim-imports.mjs FOLDER…");
  process.exit(2);
}
function walk(d, out=[]) { for (const e of fs.readdirSync(d,{withFileTypes:true})) { if (e.name==='node_modules'||e.name.startsWith('.')) continue; const p=path.join(d,e.name); if (e.isDirectory()) walk(p,out); else if (p.endsWith('.ts')) out.push(p); } return out; }
const shimTarget = (abs) => { if (!fs.existsSync(abs)) return null; const src = fs.readFileSync(abs,'utf8'); const body = src.split('\n').filter(l => l.trim() && !l.trim().startsWith('//')); if (body.length!==1) return null; const m = /^export \* from "([^"]+)";$/.exec(body[0]); return m ? path.resolve(path.dirname(abs), m[1]) : null; };
// Shims already deleted (nothing in main imported them): a merged branch's import of one is
// still pointed at its target.
const REMOVED = { "agent/invoice-service/http-body.ts": "base/io/http-body.ts" };
const removedTarget = (abs) => { const rel = path.relative(root, abs).split(path.sep).join("/"); return REMOVED[rel] ? path.resolve(root, REMOVED[rel]) : null; };
let n=0;
for (const d of dirs) for (const f of walk(path.join(root,d))) {
  const abs = path.resolve(f); if (shimTarget(abs)) continue;
  let src = fs.readFileSync(abs,'utf8');
  const out = src.replace(/((?:from|import\()\s*)"(\.[^"]+)"/g, (all, pre, spec) => {
    let t = path.resolve(path.dirname(abs), spec); let target = shimTarget(t) ?? removedTarget(t); if (!target) return all;
    while (shimTarget(target)) target = shimTarget(target);
    let rel = path.relative(path.dirname(abs), target); if (!rel.startsWith('.')) rel = './'+rel; n++;
    return `${pre}"${rel}"`;
  });
  if (out!==src) fs.writeFileSync(abs,out);
}
console.log('rewrote', n);
