// What a production install (`npm ci && npm run build && npm prune --omit=dev`, docs/install.md)
// brings onto a site, read from the lockfile: escpos's unused image stack (get-pixels → the
// deprecated request, form-data 2.3, tough-cookie 2.5 — advisories up to critical) is replaced by
// a stub, and the TypeScript compiler is a development tool only. `npm audit --omit=dev` checks
// the rest against the advisory database where it can be reached (it cannot here).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as { packages: Record<string, { version?: string; dev?: boolean; link?: boolean; resolved?: string }> };
const pkg = JSON.parse(readFileSync("package.json", "utf8")) as Record<string, Record<string, string>>;
const production = Object.entries(lock.packages).filter(([path, p]) => path !== "" && !p.dev);
const names = (entries: typeof production) => entries.map(([path]) => path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length));

describe("production dependencies", () => {
  it("do not include escpos's image stack: get-pixels is the local stub, request and its tree are gone", () => {
    const getPixels = production.filter(([path]) => path.endsWith("node_modules/get-pixels"));
    expect(getPixels).toHaveLength(1);
    expect(getPixels[0]![1]).toMatchObject({ resolved: "scripts/stubs/get-pixels", link: true });
    const prod = names(production);
    for (const gone of ["request", "tough-cookie", "har-validator", "http-signature", "pngjs", "jpeg-js", "ndarray"]) expect(prod, gone).not.toContain(gone);
    const oldFormData = production.filter(([path, p]) => path.endsWith("node_modules/form-data") && /^[0-3]\./.test(p.version ?? ""));
    expect(oldFormData).toEqual([]);
  });

  it("keep the TypeScript compiler out (tsx, which runs the sources, does not need it)", () => {
    expect(pkg.dependencies!.typescript).toBeUndefined();
    expect(pkg.devDependencies!.typescript).toBeDefined();
    expect(names(production)).not.toContain("typescript");
    expect(lock.packages["node_modules/tsx"]?.dev).toBeFalsy();
  });

  it("are pinned to exact versions", () => {
    for (const section of ["dependencies", "devDependencies", "optionalDependencies"]) {
      for (const [name, spec] of Object.entries(pkg[section] ?? {})) expect(spec, `${section}.${name}`).toMatch(/^(\d+\.\d+\.\d+(-[\w.]+)?|file:.+)$/);
    }
  });
});
