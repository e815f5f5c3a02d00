// The strict profile (docs/simulator.md "Strict profile"): each rule reads one contract section the
// hardest way for the client, and each is checked here against the default profile's reading.
import { describe, expect, it } from "vitest";
import { amount, invoiceXml, startSim, termCtx } from "./helpers.ts";

type Sim = Awaited<ReturnType<typeof startSim>>;
const PRELIM = "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT";

const strict = () => startSim({ settings: { profile: "strict" } });
const commit = (s: Sim, ref: string, value = "100.00") => s.call("commitReservation", termCtx() + amount("amount", value) + `<invoiceReference>${ref}</invoiceReference>`);
const update = (s: Sim, ref: string, xml: string) => s.call("updateInvoice", termCtx() + `<invoiceReference>${ref}</invoiceReference>` + xml);

async function paidPos(s: Sim): Promise<string> {
  const ref = await s.invoice();
  s.r.sim.customerConfirm({ invoiceReference: ref });
  await s.status(ref, 1);
  return s.r.sim.invoice(ref)!.ersReference!;
}

describe("strict profile", () => {
  it("§5.8/§6.15: a fault without a defined 'not processed' meaning (90, drop, 500, malformed) is applied before its answer is lost", async () => {
    for (const fault of [{ kind: "result", resultCode: 90 }, { kind: "drop" }, { kind: "http500" }, { kind: "malformed" }] as const) {
      const s = await strict();
      const ers = await paidPos(s);
      s.r.sim.injectFault({ operation: "refundPayment", ...fault });
      const reply = await s.call("refundPayment", termCtx() + `<ersReference>${ers}</ersReference>` + invoiceXml({ total: "10.00" })).catch(() => undefined);
      if (fault.kind === "result") expect(reply?.code).toBe(90);
      expect(s.r.sim.dump().refunds.map((r) => r.amountMinor), JSON.stringify(fault)).toEqual([1000]);
    }
  });

  it("§5.8: codes with a defined meaning (93 busy) are answered without processing; afterProcessing: false overrides", async () => {
    const s = await strict();
    const ers = await paidPos(s);
    s.r.sim.injectFault({ operation: "refundPayment", kind: "result", resultCode: 93 });
    s.r.sim.injectFault({ operation: "refundPayment", kind: "drop", afterProcessing: false });
    await s.call("refundPayment", termCtx() + `<ersReference>${ers}</ersReference>` + invoiceXml({ total: "10.00" }));
    await s.call("refundPayment", termCtx() + `<ersReference>${ers}</ersReference>` + invoiceXml({ total: "10.00" })).catch(() => undefined);
    expect(s.r.sim.dump().refunds).toEqual([]);
  });

  it("§6.3: a PAID reached by a commit is reversed when its terminal does not read it within the acknowledgement window", async () => {
    for (const profile of ["default", "strict"] as const) {
      const s = await startSim({ settings: { profile } });
      const ref = await s.invoice({ mode: PRELIM, total: "500.00", timeout: 600 });
      s.r.sim.customerConfirm({ invoiceReference: ref });
      expect((await commit(s, ref)).code).toBe(0);
      s.clock.advance(21_000);
      expect([profile, s.r.sim.invoice(ref)!.status]).toEqual([profile, profile === "strict" ? "CANCELED" : "PAID"]);
    }
    const s = await strict();
    const ref = await s.invoice({ mode: PRELIM, total: "500.00", timeout: 600 });
    s.r.sim.customerConfirm({ invoiceReference: ref });
    await commit(s, ref);
    s.clock.advance(19_000);
    expect((await s.status(ref, 2)).get("status")).toBe("PAID");
    s.clock.advance(60_000);
    expect(s.r.sim.invoice(ref)).toMatchObject({ status: "PAID", reversed: false, paidReadAt: expect.any(Number) });
  });

  it("§3.6: updateInvoice must send the invoice as it was sent — a changed paymentMode or a dropped commitReservationTimeout is 49", async () => {
    for (const profile of ["default", "strict"] as const) {
      const s = await startSim({ settings: { profile } });
      const ref = await s.invoice({ mode: PRELIM, total: "500.00", timeout: 600 });
      s.r.sim.customerConfirm({ invoiceReference: ref });
      const changedMode = await update(s, ref, invoiceXml({ total: "100.00" })); // IMMEDIATE_DEBIT, no timeout
      const noTimeout = await update(s, ref, invoiceXml({ mode: PRELIM, total: "100.00" }));
      const asSent = await update(s, ref, invoiceXml({ mode: PRELIM, total: "100.00", timeout: 600 }));
      expect([profile, changedMode.code, noTimeout.code, asSent.code]).toEqual(profile === "strict" ? [profile, 49, 49, 0] : [profile, 0, 49, 0]); // default: the mode needs a timeout (§6.5) but may change
    }
  });

  it("§6.7: a reservation lapses exactly commitReservationTimeout after the invoice was created, whatever the timers", async () => {
    for (const profile of ["default", "strict"] as const) {
      const s = await startSim({ settings: { profile } });
      const ref = await s.invoice({ mode: PRELIM, total: "500.00", timeout: 60 });
      s.clock.advance(20_000); // the customer takes 20 s to confirm
      s.r.sim.customerConfirm({ invoiceReference: ref });
      s.clock.advance(40_000); // 60 s after sendInvoice, 40 s after RESERVED
      expect([profile, (await commit(s, ref)).code]).toEqual([profile, profile === "strict" ? 96 : 0]);
    }
  });
});
