// The pure parts of the PTS-2 driver: Digest answers (RFC 2617's own example), decimal ↔ minor
// units, and the pump tracker — property-checked over random status sequences: a transaction's end
// is reported once, calls come only from a fresh lift with no authorization of ours live, and
// progress and end figures are the controller's.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decimalOfMinor, milliOf, minorOf } from "../../../drivers/pts2/decimal.ts";
import { digestAuthorization, digestResponse, parseDigestChallenge } from "../../../drivers/pts2/digest.ts";
import type { PumpObservation } from "../../../drivers/pts2/decode-status.ts";
import { INITIAL_VIEW, type PumpView, type TrackerContext, observePump } from "../../../drivers/pts2/pump-tracker.ts";
import type { TxRecord } from "../../../drivers/pts2/transactions.ts";

describe("digest", () => {
  it("answers RFC 2617 §3.5's example challenge with its documented response", () => {
    const ch = parseDigestChallenge('Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"')!;
    expect(ch).toMatchObject({ realm: "testrealm@host.com", qop: "auth", algorithm: "MD5", stale: false });
    expect(digestResponse(ch, { method: "GET", uri: "/dir/index.html", user: "Mufasa", password: "Circle Of Life", nc: 1 }, "0a4f113b")).toBe("6629fae49393a05397450978507c4ef1");
    const header = digestAuthorization(ch, { method: "GET", uri: "/dir/index.html", user: "Mufasa", password: "Circle Of Life", nc: 1, cnonce: "0a4f113b" });
    expect(header).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(header).toContain("nc=00000001");
    expect(header).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
  });

  it("picks the Digest challenge among several, notices stale nonces, and refuses what it cannot answer", () => {
    expect(parseDigestChallenge(['Basic realm="x"', 'Digest realm="Pts2WebServer", nonce="n1", qop="auth", stale=TRUE'])).toMatchObject({ nonce: "n1", stale: true });
    expect(parseDigestChallenge('Digest realm="r", nonce="n", qop="auth-int"')).toBeUndefined();
    expect(parseDigestChallenge('Digest realm="r", nonce="n", algorithm=SHA-512')).toBeUndefined();
    expect(parseDigestChallenge("Basic realm=x")).toBeUndefined();
  });
});

describe("decimal", () => {
  it("round-trips every amount of minor units through the wire's decimal number", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10_000_000_000 }), (minor) => minorOf(decimalOfMinor(minor), "x") === minor));
  });
  it("reads every volume with up to three decimals exactly, and refuses finer ones", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1_000_000_000 }), (milli) => milliOf(milli / 1000, "v") === milli));
    expect(() => milliOf(1.0005, "v")).toThrow(expect.objectContaining({ code: "DEVICE_PROTOCOL" }));
    expect(minorOf("18.99", "p")).toBe(1899);
  });
});

const record = (over: Partial<TxRecord> = {}): TxRecord => ({
  flowId: "F1", point: 1, pump: 1, transaction: 5, nozzle: 1, gradeId: "95", ptsFuelGradeId: 1, priceMinor: 1899, limitMinor: 10000, phase: "authorized", at: 0, ...over,
});

function context(records: TxRecord[], now = 1000): TrackerContext {
  return {
    point: 1,
    records,
    gradeOfNozzle: (n) => (n === 1 ? "95" : n === 2 ? "D" : undefined),
    gradeOfFuelGrade: (id) => (id === 1 ? "95" : id === 2 ? "D" : undefined),
    now,
    stopConfirmedAt: () => undefined,
    stopTimeoutMs: 5000,
    closeUnsettledAfterMs: 60_000,
  };
}

const figures = (milli: number, transaction = 5) => ({ pump: 1, transaction, nozzle: 1, fuelGradeId: 1, milli, priceMinor: 1899, amountMinor: Math.floor((milli * 1899 + 500) / 1000) });

describe("pump tracker", () => {
  it("a lift with no authorization of ours live is a call with the nozzle's grade; the same lift again is not", () => {
    const lift: PumpObservation = { kind: "idle", pump: 1, nozzleUp: 2, request: "" };
    const a = observePump(INITIAL_VIEW, lift, context([]));
    expect(a.events).toEqual([{ type: "nozzle", point: 1, up: true, gradeId: "D" }, { type: "call", point: 1, gradeId: "D" }]);
    expect(observePump(a.view, lift, context([])).events).toEqual([]);
  });

  it("a lift on a pump holding our authorization is that sale starting, not a call", () => {
    const r = record();
    const step = observePump(INITIAL_VIEW, { kind: "idle", pump: 1, nozzleUp: 1, request: "PumpAuthorize", transaction: 5 }, context([r]));
    expect(step.events.map((e) => e.type)).toEqual(["nozzle"]);
  });

  it("someone else's sale on the pump is never reported as ours", () => {
    const step = observePump(INITIAL_VIEW, { kind: "filling", ...figures(3000, 77) }, context([record()]));
    expect(step.events.filter((e) => e.type === "progress" || e.type === "end")).toEqual([]);
    expect(observePump(step.view, { kind: "end", ...figures(3000, 77) }, context([record()])).actions).toEqual([]);
  });

  it("property: over any status sequence, one end per transaction, progress and end with the controller's figures, calls only on fresh lifts", () => {
    const obs = fc.oneof(
      fc.record({ kind: fc.constant("idle" as const), nozzleUp: fc.integer({ min: 0, max: 2 }), waiting: fc.boolean() }),
      fc.record({ kind: fc.constantFrom("filling" as const, "end" as const), milli: fc.integer({ min: 0, max: 50_000 }) }),
      fc.record({ kind: fc.constant("offline" as const) }),
    );
    fc.assert(
      fc.property(fc.array(obs, { maxLength: 40 }), (seq) => {
        let view: PumpView = INITIAL_VIEW;
        let r = record();
        let ends = 0;
        let prevNozzle = 0;
        for (const o of seq) {
          const observation: PumpObservation =
            o.kind === "idle"
              ? { kind: "idle", pump: 1, nozzleUp: o.nozzleUp, request: o.waiting ? "PumpAuthorize" : "", ...(o.waiting ? { transaction: 5 } : {}) }
              : o.kind === "offline"
                ? { kind: "offline", pump: 1 }
                : { kind: o.kind, ...figures(o.milli) };
          const step = observePump(view, observation, context([r]));
          for (const a of step.actions) if (a.type === "ended") {
            ends++;
            expect(a.figures.milli).toBe(observation.kind === "end" ? observation.milli : -1);
            r = { ...r, ended: a.figures }; // the driver writes it
          }
          for (const e of step.events) {
            if (e.type === "progress") expect(observation.kind === "filling" && e.milli === observation.milli).toBe(true);
            if (e.type === "call") {
              // Only from idle, a nozzle newly in hand, and nothing of ours live.
              expect(observation.kind === "idle" && observation.nozzleUp !== 0 && observation.nozzleUp !== prevNozzle).toBe(true);
              expect(r.ended !== undefined).toBe(true);
            }
            expect(e.type).not.toBe("end"); // ends are reported through the "ended" follow-up
          }
          if (observation.kind === "idle") prevNozzle = observation.nozzleUp;
          else if (observation.kind === "filling" || observation.kind === "end") prevNozzle = observation.nozzle;
          view = step.view;
        }
        expect(ends).toBeLessThanOrEqual(1);
      }),
      { numRuns: 500 },
    );
  });

  it("an ended transaction is closed once settled, or after closeUnsettledAfterMs when the flow never says so", () => {
    const ended = { nozzle: 1, ptsFuelGradeId: 1, milli: 1000, amountMinor: 1899, priceMinor: 1899, reason: "nozzle-down" as const, at: 1000 };
    const eot: PumpObservation = { kind: "end", ...figures(1000) };
    expect(observePump(INITIAL_VIEW, eot, context([record({ ended })], 2000)).actions).toEqual([]);
    expect(observePump(INITIAL_VIEW, eot, context([record({ ended, settled: true })], 2000)).actions.map((a) => a.type)).toEqual(["close"]);
    expect(observePump(INITIAL_VIEW, eot, context([record({ ended })], 61_000)).actions.map((a) => a.type)).toEqual(["close"]);
  });
});

describe("transaction book", () => {
  it("concurrent changes of one record keep each other's fields; closed records leave the open index and, after retention, the store", async () => {
    const { MemoryDriverStore } = await import("../../../drivers/driver-store.ts");
    const { TransactionBook } = await import("../../../drivers/pts2/transactions.ts");
    const store = new MemoryDriverStore();
    let now = 1000;
    const book = new TransactionBook(store, () => now);
    await book.create(record({ flowId: "A" }));
    const ended = { nozzle: 1, ptsFuelGradeId: 1, milli: 1, amountMinor: 2, priceMinor: 1899, reason: "limit" as const, at: now };
    await Promise.all([book.update("A", () => ({ ended })), book.update("A", () => ({ settled: true }))]);
    expect(await store.get("tx/A")).toMatchObject({ ended, settled: true });
    expect(book.openOn(1).map((r) => r.flowId)).toEqual(["A"]);
    await book.update("A", () => ({ closedAt: now }));
    expect(book.openOn(1)).toEqual([]);
    expect(book.byFlow("A")).toBeDefined(); // still answerable
    now += 5000;
    await book.prune(1000);
    expect(book.byFlow("A")).toBeUndefined();
    expect(await store.get("tx/A")).toBeUndefined();
    // A reloaded book sees the same; numbers skip those still held by open records.
    await book.create(record({ flowId: "B", transaction: 6 }));
    await store.put("seq/1", 5);
    const again = new TransactionBook(store, () => now);
    await again.load(1000);
    expect(await again.allocate(1, undefined)).toBe(7);
  });
});
