// Seeded fuzz of the SOAP request path: mutated contract examples must always get a well-formed
// answer — a result (HTTP 200) or a soap:Client fault — never a soap:Server fault (an internal
// error), a throw, or a stack trace.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SimClock } from "../../simulator/clock.ts";
import { GlaseSimulator, parseProvisioning } from "../../simulator/glase/index.ts";
import { handleSoap } from "../../simulator/glase/soap-handler.ts";
import { child, parseXml } from "../../simulator/glase/xml.ts";

const DIR = new URL("./fixtures/contract/", import.meta.url);
const SEEDS = readdirSync(DIR).map((f) => readFileSync(new URL(f, DIR), "utf8"));

/** mulberry32: small, seedable, good enough for mutation choices. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = `<>/&;"'= :x0-9.#!?[]\n\u00e9\u{1F600}`;

function mutate(src: string, r: () => number): string {
  const pick = (n: number) => Math.floor(r() * n);
  let s = src;
  const rounds = 1 + pick(4);
  for (let i = 0; i < rounds; i++) {
    const at = pick(s.length + 1);
    switch (pick(7)) {
      case 0: // delete a range
        s = s.slice(0, at) + s.slice(at + pick(20));
        break;
      case 1: // insert random characters
        s = s.slice(0, at) + Array.from({ length: 1 + pick(5) }, () => [...ALPHABET][pick([...ALPHABET].length)]).join("") + s.slice(at);
        break;
      case 2: // truncate
        s = s.slice(0, at);
        break;
      case 3: {
        // duplicate an element-ish chunk
        const start = s.indexOf("<", at);
        const end = s.indexOf(">", start + 1);
        if (start >= 0 && end > start) s = s.slice(0, end + 1) + s.slice(start, end + 1) + s.slice(end + 1);
        break;
      }
      case 4: // replace element text with junk values
        s = s.replace(/>([^<>]{1,40})</, () => `>${["", "-1", "1e309", "NaN", "99999999999", "&amp;", "0.001", "<![CDATA[x]]>"][pick(8)]}<`);
        break;
      case 5: // empty a complex element
        s = s.replace(/<(\w+)>[\s\S]*?<\/\1>/, (_m, n: string) => `<${n}/>`);
        break;
      case 6: // swap two lines (children out of order)
        {
          const lines = s.split("\n");
          const a = pick(lines.length);
          const b = pick(lines.length);
          [lines[a], lines[b]] = [lines[b]!, lines[a]!];
          s = lines.join("\n");
        }
        break;
    }
  }
  return s;
}

describe("SOAP request fuzz", () => {
  it("answers 3,000 mutated contract examples without an internal error", async () => {
    const sim = new GlaseSimulator({
      clock: new SimClock({ manual: true, start: Date.UTC(2024, 2, 15) }),
      provision: parseProvisioning({
        shops: [{ resellerId: "demo_shop", password: "demo-pass" }],
        terminals: [{ id: "5f2b8c1e9a7d4e6f8b3c2a1d0e9f8a7b", password: "Kq7VnX2pLm9RtYs" }],
      }),
    });
    const r = rng(20240315);
    const tally = { ok: 0, client: 0 };
    for (let i = 0; i < 3000; i++) {
      const body = mutate(SEEDS[i % SEEDS.length]!, r);
      const out = await handleSoap(sim, body, { legacyPath: i % 2 === 0 });
      expect(out.kind).toBe("reply");
      if (out.kind !== "reply") continue;
      const root = parseXml(out.body); // always well-formed
      if (out.status === 200) {
        tally.ok++;
        continue;
      }
      expect(out.status, body).toBe(500);
      const fault = child(child(root, "Body"), "Fault");
      expect(child(fault, "faultcode")?.text, `${body}\n→ ${out.body}`).toBe("soap:Client");
      expect(out.body).not.toMatch(/\.ts:\d+/);
      tally.client++;
    }
    // the mutations must exercise both paths, or the test proves nothing
    expect(tally.ok).toBeGreaterThan(300);
    expect(tally.client).toBeGreaterThan(300);
    sim.dispose();
  });
});
