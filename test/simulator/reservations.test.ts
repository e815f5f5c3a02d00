// Reservations (§3.8, §6.7, §9 A5–A7): RESERVED on customer approval, commit with amount,
// lapse after commitReservationTimeout, EXPIRED only from API 2.10.
import { describe, expect, it } from "vitest";
import { amount, invoiceXml, startSim, termCtx } from "./helpers.ts";

type Sim = Awaited<ReturnType<typeof startSim>>;

async function reserved(s: Sim, total = "500.00", timeout = 600, mode = "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT"): Promise<string> {
  const ref = await s.invoice({ mode, total, timeout });
  expect(s.r.sim.customerConfirm({ invoiceReference: ref }).status).toBe("RESERVED");
  return ref;
}

const commit = (s: Sim, ref: string, amt?: string, currency = "SEK") =>
  s.call("commitReservation", termCtx() + (amt === undefined ? "" : amount("amount", amt, currency)) + `<invoiceReference>${ref}</invoiceReference>`);

describe("commitReservation", () => {
  it("RESERVED has neither ersReference nor receipt; commit with a lower amount ⇒ PAID with that amount", async () => {
    const s = await startSim();
    const ref = await reserved(s);
    const st = await s.status(ref, 1);
    expect([st.get("status"), st.get("version"), st.get("ersReference")]).toEqual(["RESERVED", "2", undefined]);
    expect(st.text).not.toContain("<receipt>");
    const upd = await s.call("updateInvoice", termCtx() + `<invoiceReference>${ref}</invoiceReference>` + invoiceXml({ mode: "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT", total: "412.50", timeout: 600 }));
    expect(upd.code).toBe(0);
    expect(s.r.sim.invoice(ref)!.status).toBe("RESERVED");
    expect((await commit(s, ref, "412.50")).code).toBe(0);
    const paid = await s.status(ref, 2);
    expect(paid.get("status")).toBe("PAID");
    expect(paid.get("ersReference")).toMatch(/^\d{25}$/);
    expect(paid.text).toContain("<totalAmount><currency>SEK</currency><value>412.50</value></totalAmount>");
    expect(s.r.sim.dump().invoices[0]).toMatchObject({ paidMinor: 41250, commitCalls: 1, commitsAccepted: 1, reservedMinor: 50000 });
    // A commit is the merchant's own acknowledgement: no reversal afterwards.
    s.clock.advance(3_600_000);
    expect(s.r.sim.invoice(ref)!.status).toBe("PAID");
  });

  it("absent amount commits the reserved amount; a second commit ⇒ 96 and is counted", async () => {
    const s = await startSim();
    const ref = await reserved(s, "300.00", 60, "RESERVATION_REQUIRED");
    expect((await commit(s, ref)).code).toBe(0);
    expect(s.r.sim.invoice(ref)!.paidMinor).toBe(30000);
    expect((await commit(s, ref)).code).toBe(96);
    expect(s.r.sim.invoice(ref)).toMatchObject({ commitCalls: 2, commitsAccepted: 1 });
  });

  it("over the preliminary total ⇒ 11 (configurable to accept); bad amounts ⇒ 11", async () => {
    const s = await startSim();
    const ref = await reserved(s);
    expect((await commit(s, ref, "500.01")).code).toBe(11);
    expect((await commit(s, ref, "0")).code).toBe(11);
    expect((await commit(s, ref, "10.00", "EUR")).code).toBe(11);
    expect((await commit(s, ref, "1.234")).code).toBe(11);
    expect(s.r.sim.invoice(ref)!.status).toBe("RESERVED");
    const lenient = await startSim({ settings: { acceptHigherCommit: true } });
    const r2 = await reserved(lenient);
    expect((await commit(lenient, r2, "520.00")).code).toBe(0);
    expect(lenient.r.sim.invoice(r2)!.paidMinor).toBe(52000);
  });

  it("commit on a non-RESERVED invoice ⇒ 96; unknown or missing reference ⇒ 54", async () => {
    const s = await startSim();
    const ref = await s.invoice({ mode: "RESERVATION_REQUIRED", timeout: 60 });
    expect((await commit(s, ref)).code).toBe(96);
    expect((await commit(s, "12345")).code).toBe(54);
    expect((await s.call("commitReservation", termCtx())).code).toBe(54);
  });

  it("updateInvoice on RESERVED cannot exceed the reserved amount", async () => {
    const s = await startSim();
    const ref = await reserved(s, "100.00");
    const upd = await s.call("updateInvoice", termCtx() + `<invoiceReference>${ref}</invoiceReference>` + invoiceXml({ total: "150.00" }));
    expect(upd.code).toBe(11);
  });

  it("cancelInvoice releases a reservation", async () => {
    const s = await startSim();
    const ref = await reserved(s);
    expect((await s.call("cancelInvoice", termCtx() + `<invoiceReference>${ref}</invoiceReference>`)).code).toBe(0);
    expect((await commit(s, ref)).code).toBe(96);
  });

  it("RESERVATION_DESIRED reserves too", async () => {
    const s = await startSim();
    await reserved(s, "50.00", 60, "RESERVATION_DESIRED");
  });
});

describe("reservation lapse", () => {
  it("after commitReservationTimeout ⇒ CANCELED at API 2.9, and a later commit ⇒ 96", async () => {
    const s = await startSim();
    const ref = await reserved(s, "100.00", 30);
    s.clock.advance(29_999);
    expect(s.r.sim.invoice(ref)!.status).toBe("RESERVED");
    s.clock.advance(1);
    const st = await s.status(ref, 2);
    expect([st.get("status"), st.get("version")]).toEqual(["CANCELED", "3"]);
    expect((await commit(s, ref)).code).toBe(96);
  });

  it("⇒ EXPIRED at API 2.10", async () => {
    const s = await startSim({ settings: { apiLevel: "2.10" } });
    const ref = await reserved(s, "100.00", 30);
    s.clock.advance(30_000);
    expect((await s.status(ref, 2)).get("status")).toBe("EXPIRED");
  });

  it("uses the default reservation timeout when none was sent", async () => {
    const s = await startSim({ settings: { defaultReservationTimeoutSeconds: 100 } });
    const ref = await s.invoice({ mode: "RESERVATION_REQUIRED" });
    s.r.sim.customerConfirm({ invoiceReference: ref });
    s.clock.advance(100_000);
    expect(s.r.sim.invoice(ref)!.status).toBe("CANCELED");
  });
});
