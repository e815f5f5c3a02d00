// Provisioning (YAML/JSON, zod-validated, errors name the path) and the built-in defaults.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { isAgentError } from "../../agent/errors.ts";
import { GlaseSimulator, loadProvisioning, parseProvisioning } from "../../simulator/glase/index.ts";

const EXAMPLE = fileURLToPath(new URL("../../config/simulator-provision.example.yaml", import.meta.url));

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(isAgentError(e, "CONFIG_INVALID")).toBe(true);
    return (e as Error).message;
  }
  throw new Error("expected a CONFIG_INVALID error");
}

describe("provisioning", () => {
  it("defaults: shop reseller/9900/2009 and the Java samples' terminals", () => {
    const sim = new GlaseSimulator();
    expect(sim.state.shops.get("reseller")).toMatchObject({ userId: "9900", password: "2009", currency: "SEK", allowRefunds: true });
    expect([...sim.state.terminals.keys()]).toEqual(["0460000300002010", "0460000100001002"]);
    expect(sim.state.terminals.get("0460000300002010")!.password).toBe("2009");
    expect(sim.settings.ackTimeoutSeconds).toBe(20);
    sim.dispose();
  });

  it("loads the shipped example file", () => {
    const p = loadProvisioning(EXAMPLE);
    expect(p.shops[0]!.resellerId).toBe("reseller");
    expect(p.terminals.map((t) => t.id)).toEqual(["0460000300002010", "0460000100001002", "webshop-1"]);
    expect(p.issuers).toEqual([{ name: "demo-telco", secret: "change-me", notificationUrl: "http://127.0.0.1:9100/glase/notify" }]);
    const sim = new GlaseSimulator({ provision: p });
    expect(sim.provision.issuers[0]!.name).toBe("demo-telco");
    expect(sim.state.terminals.get("webshop-1")!.cashRegister).toBe(false);
    expect(sim.tokenIds.has("DEMO_CLUB_CARD")).toBe(true);
    sim.dispose();
  });

  it("explicit options override provisioned settings", () => {
    const sim = new GlaseSimulator({ provision: parseProvisioning({ settings: { ackTimeoutSeconds: 7, reportNotReadyCalls: 4 } }), settings: { ackTimeoutSeconds: 9 } });
    expect([sim.settings.ackTimeoutSeconds, sim.settings.reportNotReadyCalls]).toEqual([9, 4]);
    sim.dispose();
  });

  it("a provisioned shop without terminals gets none; terminals default to the first shop", () => {
    const p = parseProvisioning({ shops: [{ resellerId: "a", password: "pw12" }, { resellerId: "b", password: "pw34" }], terminals: [{ id: "t", password: "pass", resellerId: "b" }, { id: "u", password: "pass" }] });
    const sim = new GlaseSimulator({ provision: p });
    expect(sim.state.terminals.get("t")!.resellerId).toBe("b");
    expect(sim.state.terminals.get("u")!.resellerId).toBe("a");
    expect(parseProvisioning({ shops: [{ resellerId: "a", password: "x" }] }).terminals).toEqual([]);
    sim.dispose();
  });

  it("names the path of every bad value", () => {
    expect(errorOf(() => parseProvisioning({ shops: [{ resellerId: "x", password: 1 }] }, "f.yaml"))).toContain("f.yaml: shops.0.password");
    expect(errorOf(() => parseProvisioning({ terminals: [{ id: "t" }] }))).toContain("terminals.0.password");
    expect(errorOf(() => parseProvisioning({ settings: { apiLevel: 2.1 } }))).toContain("settings.apiLevel: write apiLevel as a quoted string");
    expect(errorOf(() => parseProvisioning({ settings: { colour: "red" } }))).toContain("settings");
    expect(errorOf(() => parseProvisioning({ terminals: [{ id: "t", password: "p", resellerId: "nope" }] }))).toContain("terminals.0.resellerId: no shop nope");
    expect(errorOf(() => parseProvisioning({ terminals: [{ id: "t", password: "p" }, { id: "t", password: "q" }] }))).toContain("terminals.1.id: duplicate");
    expect(errorOf(() => parseProvisioning({ issuers: [{ name: "i", secret: "s", notificationUrl: "not a url" }] }))).toContain("issuers.0.notificationUrl");
  });

  it("reports unreadable and unparsable files", () => {
    const dir = mkdtempSync(join(tmpdir(), "glase-prov-"));
    expect(errorOf(() => loadProvisioning(join(dir, "missing.yaml")))).toContain("cannot read provisioning file");
    const json = join(dir, "p.json");
    writeFileSync(json, "{ nope");
    expect(errorOf(() => loadProvisioning(json))).toContain("not valid JSON");
    const yaml = join(dir, "p.yaml");
    writeFileSync(yaml, "a: [1,\n");
    expect(errorOf(() => loadProvisioning(yaml))).toContain("not valid YAML");
    writeFileSync(json, JSON.stringify({ terminals: [{ id: "j", password: "pass" }] }));
    expect(loadProvisioning(json).terminals[0]!.id).toBe("j");
  });
});
