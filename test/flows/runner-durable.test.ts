// The runner journals a transition only when the state's durable part changed (agent/flows/runner.ts
// sameDurable): the same answer as comparing JSON.stringify with the volatile keys dropped at any
// depth (what it replaced), except that a change of key order alone is not a change.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sameDurable } from "../../agent/flows/runner.ts";

const VOLATILE = ["pending", "reads", "calls", "version", "attempts", "progress", "lastReadAt"];
const canon = (v: unknown): string =>
  JSON.stringify(v, (k, x) => {
    if (VOLATILE.includes(k)) return undefined;
    if (x && typeof x === "object" && !Array.isArray(x)) return Object.fromEntries(Object.keys(x).sort().map((key) => [key, (x as Record<string, unknown>)[key]]));
    return x;
  });

const key = fc.constantFrom("phase", "invoiceRef", "outcome", "paidSeen", "rows", ...VOLATILE);
const leaf = fc.oneof(fc.constantFrom(undefined, null, 0, 1, "a", "b", true), fc.integer({ min: -3, max: 3 }));
const value = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, fc.array(tie("v"), { maxLength: 3 }), fc.dictionary(key, tie("v"), { maxKeys: 4 })),
})).v;
const state = fc.dictionary(key, value, { maxKeys: 6 });

describe("runner: sameDurable", () => {
  it("agrees with the JSON comparison of the durable parts (key order aside)", () => {
    fc.assert(
      fc.property(state, state, fc.boolean(), (a, b, derive) => {
        // Half the pairs share structure, as a transition's spread does.
        const next = derive ? { ...a, ...b } : b;
        expect(sameDurable(a, next)).toBe(canon(a) === canon(next));
      }),
      { numRuns: 2000 },
    );
  });

  it("a poll (only volatile fields change) is not durable; a phase change is", () => {
    const s = { kind: "pos", phase: "polling", pending: { op: "getPaymentStatus", ref: "k-1" }, calls: 1, rows: [{ a: 1 }], paidSeen: { version: 2 } };
    expect(sameDurable(s, { ...s, pending: { op: "getPaymentStatus", ref: "k-2" }, calls: 2, lastReadAt: 5, reads: ["k-1", "k-2"] })).toBe(true);
    expect(sameDurable(s, { ...s, paidSeen: { version: 3 } })).toBe(true);
    expect(sameDurable(s, { ...s, phase: "confirming" })).toBe(false);
    expect(sameDurable(s, { ...s, rows: [{ a: 2 }] })).toBe(false);
    expect(sameDurable(s, { ...s, outcome: undefined })).toBe(true);
  });
});
