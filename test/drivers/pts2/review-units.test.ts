// Review of issue 14, findings 4 (money vs price precision), 6 (pruning unsettled records) and the
// ownership rules of finding 1 as pure functions; plus the alarm catalogue for PTS faults (finding 5).
import { readdir, readFile } from "node:fs/promises";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DispenserEvent } from "../../../contracts/dispenser.ts";
import { alarmAction } from "../../../agent/alarms/catalogue.ts";
import { MemoryDriverStore } from "../../../drivers/driver-store.ts";
import { PTS_FAULTS } from "../../../drivers/pts2/alarms.ts";
import { parsePts2Config } from "../../../drivers/pts2/index.ts";
import type { OwnUserView } from "../../../drivers/pts2/own-user.ts";
import { ownershipOf } from "../../../drivers/pts2/ownership.ts";
import { INITIAL_VIEW, type TrackerContext, observePump } from "../../../drivers/pts2/pump-tracker.ts";
import { TransactionBook, type TxRecord } from "../../../drivers/pts2/transactions.ts";
import { amountAt, priceAsMinor } from "../../../drivers/pts2/units.ts";
import { closeAfterEach, openDriver, received, startTwin } from "./helpers.ts";

const cleanup = closeAfterEach();
const DAY = 24 * 3600_000;
const record = (over: Partial<TxRecord> = {}): TxRecord => ({
  flowId: "F1", point: 1, pump: 1, transaction: 5, nozzle: 1, gradeId: "95", ptsFuelGradeId: 1, priceMinor: 1899, limitMinor: 10000, phase: "authorizing", at: 0, probedAt: 0, ...over,
});

describe("finding 6: retention", () => {
  it("an ended sale whose flow never said settled is never pruned; settled and never-delivered ones are", async () => {
    const store = new MemoryDriverStore();
    let now = 0;
    const book = new TransactionBook(store, () => now);
    const ended = { nozzle: 1, ptsFuelGradeId: 1, milli: 1000, amountMinor: 1899, priceMinor: 1899, reason: "nozzle-down" as const, at: 0 };
    await book.create(record({ flowId: "PARKED", phase: "authorized", ended, closedAt: 0 }));
    await book.create(record({ flowId: "PAID", phase: "authorized", ended, settled: true, closedAt: 0 }));
    await book.create(record({ flowId: "VOID", phase: "void", closedAt: 0 }));
    now = 8 * DAY;
    const reloaded = new TransactionBook(store, () => now);
    await reloaded.load(7 * DAY);
    expect(reloaded.all().map((r) => r.flowId)).toEqual(["PARKED"]);
    expect(await store.get("tx/PARKED")).toMatchObject({ ended });
  });
});

describe("findings 3 and 5 in the pump tracker", () => {
  const ctx = (records: TxRecord[]): TrackerContext => ({
    point: 1, records, gradeOfNozzle: () => "95", gradeOfFuelGrade: (id) => (id === 1 ? "95" : undefined), now: 1000,
    stopConfirmedAt: () => undefined, stopTimeoutMs: 5000, closeUnsettledAfterMs: 60_000,
  });
  const filling = (over: object = {}) => ({ kind: "filling" as const, pump: 1, transaction: 5, nozzle: 1, fuelGradeId: 1, milli: 2000, priceMinor: 1899, amountMinor: 3798, ...over });
  it("a fill at another price raises PTS_SALE_MISMATCH once (the flow stops it); at the end it is charged at most the authorized price", () => {
    const r = record({ phase: "authorized" });
    const a = observePump(INITIAL_VIEW, filling({ priceMinor: 2500, amountMinor: 5000 }), ctx([r]));
    expect(a.events.filter((e) => e.type === "fault")).toMatchObject([{ code: "PTS_SALE_MISMATCH", transactionId: "F1" }]);
    const b = observePump(a.view, filling({ milli: 3000, priceMinor: 2500, amountMinor: 7500 }), ctx([r]));
    expect(b.events.filter((e) => e.type === "fault")).toEqual([]);
    const end = observePump(b.view, { ...filling({ milli: 3000, priceMinor: 2500, amountMinor: 7500 }), kind: "end" }, ctx([r]));
    expect(end.actions).toMatchObject([{ type: "ended", figures: { milli: 3000, amountMinor: 5697, priceMinor: 1899, mismatch: { amountMinor: 7500, priceMinor: 2500 } } }]);
    // The first status of a fill, before any fuel, judges nothing.
    expect(observePump(INITIAL_VIEW, filling({ milli: 0, amountMinor: 0, priceMinor: 0, fuelGradeId: 0 }), ctx([r])).events.filter((e) => e.type === "fault")).toEqual([]);
  });
  it("a void number seen live is only read back (verify) until the controller says we authorized it: never stopped or closed on the number alone (review 2, N2)", () => {
    const r = record({ phase: "void" });
    for (const obs of [filling(), { ...filling(), kind: "end" as const }]) {
      const a = observePump(INITIAL_VIEW, obs, ctx([r]));
      expect(a.actions.map((x) => x.type)).toEqual(["verify"]);
      expect(a.events.filter((e) => e.type === "fault")).toEqual([]);
    }
  });
  it("a void authorization proven ours that fills is stopped with PTS_UNOWNED_DELIVERY; its end is closed with the figures in the alarm", () => {
    const r = record({ phase: "void", liveVerdict: "ours" });
    const a = observePump(INITIAL_VIEW, filling(), ctx([r]));
    expect(a.actions.map((x) => x.type)).toEqual(["stop"]);
    expect(a.events.filter((e) => e.type === "fault")).toMatchObject([{ code: "PTS_UNOWNED_DELIVERY" }]);
    expect(observePump(a.view, filling(), ctx([r])).events.filter((e) => e.type === "fault")).toEqual([]);
    const end = observePump(a.view, { ...filling(), kind: "end" }, ctx([r]));
    expect(end.actions.map((x) => x.type)).toEqual(["close"]);
    expect(end.events.filter((e) => e.type === "fault")).toMatchObject([{ code: "PTS_UNOWNED_DELIVERY", message: expect.stringContaining("2000 ml") }]);
  });
  it("an unconfirmed authorization seen filling or ended is read back first, never ended on sight", () => {
    const r = record({ phase: "authorizing" });
    expect(observePump(INITIAL_VIEW, filling(), ctx([r])).actions.map((x) => x.type)).toEqual(["read"]);
    expect(observePump(INITIAL_VIEW, { ...filling(), kind: "end" }, ctx([r])).actions.map((x) => x.type)).toEqual(["read"]);
  });
});

/** The agent's own user as the ownership rule sees it: corroborated by the controller, nothing in doubt. */
const asUser = (id: number | undefined): OwnUserView => ({
  id: () => id,
  distrust: () => undefined,
  evidence: () => (id === undefined ? { trusted: false, gap: "unverified", why: "the id is not known" } : { userId: id, trusted: true }),
  doubtAbout: () => undefined,
});

describe("finding 1: ownership of a read-back", () => {
  const info = { pump: 1, transaction: 5, state: "EndOfTransaction" as const, nozzle: 1, fuelGradeId: 1, milli: 1000, amountMinor: 1899, priceMinor: 1899 };
  it("decided on who authorized (UserId): ours only for the agent's own user; unknown without a UserId or without our id; nozzle, price and dose are not evidence", () => {
    const mine = { ...info, userId: 1 };
    expect(ownershipOf(record(), mine, asUser(1))).toEqual({ ours: true });
    expect(ownershipOf(record({ probedAt: undefined }), mine, asUser(1))).toEqual({ ours: true }); // a pre-probe record (review 2, N4)
    expect(ownershipOf(record(), { ...mine, transaction: 6 }, asUser(1)).ours).toBe(false);
    expect(ownershipOf(record(), { ...mine, userId: 2 }, asUser(1)).ours).toBe(false);
    expect(ownershipOf(record(), { ...mine, nozzle: 2, priceMinor: 0 }, asUser(1)).ours).toBe(true); // the mismatch rule's business
    expect(ownershipOf(record(), info, asUser(1)).ours).toBe("unknown");
    expect(ownershipOf(record(), mine, asUser(undefined)).ours).toBe("unknown");
    const probed = record({ controllerTimeAtProbe: "2024-10-30T12:00:05" });
    // A clock step under our corroborated id: ours, the stamp logged as an anomaly (review 4, R4-3: it used to park for good).
    expect(ownershipOf(probed, { ...mine, startedAt: "2024-10-30T11:59:00" }, asUser(1))).toMatchObject({ ours: true, anomaly: expect.stringContaining("before our number check") });
    expect(ownershipOf(probed, { ...mine, startedAt: "2024-10-30T11:59:00", userId: 2 }, asUser(1)).ours).toBe(false);
    expect(ownershipOf(probed, { ...mine, startedAt: "2024-10-30T12:00:05" }, asUser(1)).ours).toBe(true);
  });
});

describe("finding 4: money and prices are two precisions", () => {
  it("amountAt is the exact product rounded half up, for any volume, price and digits", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_000_000 }), fc.integer({ min: 1, max: 99_999 }), fc.integer({ min: 0, max: 2 }), (milli, price, extra) => {
        const u = { moneyDigits: 2, priceDigits: 2 + extra };
        const exact = (BigInt(milli) * BigInt(price) * 2n + 1000n * 10n ** BigInt(extra)) / (2000n * 10n ** BigInt(extra));
        return BigInt(amountAt(milli, price, u)) === exact;
      }),
    );
    expect(amountAt(10_000, 1759, { moneyDigits: 2, priceDigits: 3 })).toBe(1759);
    expect(amountAt(1_000, 1755, { moneyDigits: 2, priceDigits: 3 })).toBe(176); // 1.755 → 1.76 (half up)
    expect(priceAsMinor(1759, { moneyDigits: 2, priceDigits: 3 })).toBe(176);
  });

  const base = { url: "http://127.0.0.1:9/jsonPTS", auth: { scheme: "none" }, points: [{ point: 1, pump: 1 }] };
  it("money digits follow the currency; prices take priceDigits; the config names what is wrong", () => {
    const eur = parsePts2Config({ ...base, currency: "EUR", priceDigits: 3, grades: [{ id: "95", ptsFuelGradeId: 1, name: "E10", unitPrice: "1.759", vatRatePercent: 19 }] });
    expect(eur).toMatchObject({ moneyDigits: 2, priceDigits: 3, grades: [{ priceUnits: 1759, unitPriceMinor: 176 }] });
    expect(parsePts2Config({ ...base, currency: "JPY", grades: [{ id: "R", ptsFuelGradeId: 1, name: "R", unitPriceMinor: 175, vatRatePercent: 10 }] })).toMatchObject({ moneyDigits: 0, priceDigits: 0 });
    const bad = (c: object) => {
      try {
        parsePts2Config(c);
        return "";
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(bad({ ...base, currency: "EUR", minorDigits: 3, grades: [{ id: "95", ptsFuelGradeId: 1, name: "E10", unitPriceMinor: 176, vatRatePercent: 19 }] })).toMatch(/minorDigits: EUR has 2 minor-unit digits/);
    expect(bad({ ...base, currency: "EUR", grades: [{ id: "95", ptsFuelGradeId: 1, name: "E10", unitPrice: "1.759", vatRatePercent: 19 }] })).toMatch(/grades\.0\.unitPrice: 1\.759 has 3 decimals; priceDigits is 2/);
    expect(bad({ ...base, currency: "EUR", grades: [{ id: "95", ptsFuelGradeId: 1, name: "E10", vatRatePercent: 19 }] })).toMatch(/give unitPriceMinor or unitPrice/);
    expect(bad({ ...base, currency: "EUR", priceDigits: 3, grades: [{ id: "95", ptsFuelGradeId: 1, name: "E10", unitPrice: "1.759", unitPriceMinor: 175, vatRatePercent: 19 }] })).toMatch(/175 is not unitPrice 1\.759 in minor units \(176\)/);
    // The device layer parses a parsed entry again (module → open): the same config comes out.
    expect(parsePts2Config(eur)).toEqual(eur);
  });

  it("a EUR site priced at 1.759/L: Dose in cents, Price with three decimals, the controller's amount charged", async () => {
    const twin = await startTwin({ priceDigits: 3, grades: [{ id: 1, name: "E10", priceMinor: 1759 }, { id: 2, name: "Diesel", priceMinor: 1659 }] });
    const { driver, events } = await openDriver(twin, {
      currency: "EUR",
      priceDigits: 3,
      grades: [
        { id: "95", ptsFuelGradeId: 1, name: "E10", unitPrice: "1.759", vatRatePercent: 19 },
        { id: "D", ptsFuelGradeId: 2, name: "Diesel", unitPrice: "1.659", vatRatePercent: 19 },
      ],
    });
    cleanup(() => driver.close(), () => twin.close());
    expect(await driver.prices()).toMatchObject([{ id: "95", unitPriceMinor: 176 }, { id: "D", unitPriceMinor: 166 }]);
    twin.liftNozzle(1, 1);
    await events.waitFor((e) => e.type === "call");
    await driver.authorize({ point: 1, limitMinor: 5000, currency: "EUR", transactionId: "EUR1", gradeId: "95" });
    expect(received(twin, "PumpAuthorize")[0]).toMatchObject({ Dose: 50, Price: 1.759 });
    twin.deliver(1, 12_345);
    twin.hangUp(1);
    const end = await events.waitFor((e): e is Extract<DispenserEvent, { type: "end" }> => e.type === "end");
    // 12.345 L × 1.759 = 21.714855 → 21.71 (the pump's own amount); the shown unit price rounds to 1.76.
    expect(end).toMatchObject({ milli: 12_345, amountMinor: 2171, unitPriceMinor: 176 });
    expect(events.events.filter((e) => e.type === "fault")).toEqual([]);
  });
});

describe("finding 5: every PTS fault code is in the alarm catalogue", () => {
  it("drivers/pts2/alarms.ts and docs/alarms.md list device-fault-<code>, with the same meaning and action, for each fault the driver raises", async () => {
    const codes = new Set<string>();
    for (const f of await readdir("drivers/pts2")) {
      if (!f.endsWith(".ts")) continue;
      const text = await readFile(`drivers/pts2/${f}`, "utf8");
      for (const m of text.matchAll(/type: "fault",[^}]*?code: "(PTS_[A-Z_]+)"/gs)) codes.add(m[1]!);
    }
    expect([...codes].sort()).toEqual(["PTS_FOREIGN_TRANSACTION", "PTS_GRADES_UNREADABLE", "PTS_NUMBERS_NOT_HONOURED", "PTS_OWNERSHIP_UNKNOWN", "PTS_PRICE_MISMATCH", "PTS_PUMP_OFFLINE", "PTS_PUMP_STUCK", "PTS_SALE_MISMATCH", "PTS_STOP_IGNORED", "PTS_TRANSACTION_LOST", "PTS_UNOWNED_DELIVERY", "PTS_USER_MISMATCH", "PTS_USER_SHARED"]);
    expect(Object.keys(PTS_FAULTS).sort()).toEqual([...codes].sort());
    const doc = await readFile("docs/alarms.md", "utf8");
    const documented = [...doc.matchAll(/^\| `device-fault-(PTS_[A-Z_]+)` \|/gm)].map((m) => m[1]!);
    expect(documented.sort()).toEqual([...codes].sort());
    for (const [code, e] of Object.entries(PTS_FAULTS)) {
      expect(doc, code).toContain(`| \`device-fault-${code}\` | ${e.meaning} | ${e.action.replaceAll("|", "\\|")} |`);
      expect(alarmAction(`device-fault-${code}`)).toBe(e.action); // what ctl alarms shows under it
    }
  });
});
