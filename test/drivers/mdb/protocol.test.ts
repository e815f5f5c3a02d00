// The Qibixx line codec: every example of docs/mdb.md parses (lines from the adapter) or is what
// the driver sends (lines to it); amounts in both formats; garbage is a problem, never a throw.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { command, parseAdapterLine, parseAmount } from "../../../drivers/mdb/protocol.ts";

const doc = readFileSync(new URL("../../../docs/mdb.md", import.meta.url), "utf8");
const examples = [...doc.matchAll(/```mdb-example\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.trim().split("\n"));

describe("MDB adapter line protocol", () => {
  it("docs/mdb.md has examples in both directions", () => {
    expect(examples.filter((l) => l.startsWith("< ")).length).toBeGreaterThan(15);
    expect(examples.filter((l) => l.startsWith("> ")).length).toBeGreaterThan(4);
  });

  it("every documented line from the adapter parses to a known line", () => {
    for (const l of examples.filter((x) => x.startsWith("< "))) {
      const r = parseAdapterLine(l.slice(2) + "\r", "decimal");
      expect(r.ok, l).toBe(true);
      if (r.ok && r.line.kind === "error") expect(r.line.error, l).not.toBe("other");
    }
  });

  it("every documented line to the adapter is one the driver sends", () => {
    const sent = new Set([command.enable(), command.deny(), command.approve(250, "decimal"), command.approve(100, "decimal"), command.approve(80, "decimal")].map((c) => c.trim()));
    for (const l of examples.filter((x) => x.startsWith("> "))) expect(sent.has(l.slice(2)), l).toBe(true);
  });

  it("reads vend requests and errors precisely", () => {
    expect(parseAdapterLine("c,STATUS,VEND,2.50,12", "decimal")).toEqual({ ok: true, line: { kind: "vend-request", amountMinor: 250, product: "12" } });
    expect(parseAdapterLine("c,STATUS,VEND,1,5", "decimal")).toEqual({ ok: true, line: { kind: "vend-request", amountMinor: 100, product: "5" } });
    expect(parseAdapterLine("c,STATUS,VEND,500,0", "minor")).toEqual({ ok: true, line: { kind: "vend-request", amountMinor: 500, product: "0" } });
    expect(parseAdapterLine("c,ERR,VEND 5", "decimal")).toMatchObject({ ok: true, line: { kind: "error", error: "vend-reset" } });
    expect(parseAdapterLine("c,ERR,-3", "decimal")).toMatchObject({ ok: true, line: { kind: "error", error: "other" } });
    expect(command.approve(250, "minor")).toBe("C,VEND,250\n");
    expect(parseAmount("1.005", "decimal")).toBeUndefined();
  });

  it("garbage is a problem, not an exception", () => {
    for (const g of ["", "c,STATUS,VEND,abc,1", "c,STATUS,VEND,1.00", "c,STATUS,VEND,0.00,1", "c,STATUS,VEND,1.00,a b", "c,STATUS,BOGUS", "\u0001\u0002", "x".repeat(300), "C,VEND,1", "hello", "c,VEND,MAYBE", "c,WHAT"]) {
      expect(parseAdapterLine(g, "decimal").ok, JSON.stringify(g)).toBe(false);
    }
  });
});
