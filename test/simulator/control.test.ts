// The control surface (§10 + extensions): fault kinds incl. afterProcessing, clock, state dump,
// auto customer, route extension, notificationUrl ping.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { invoiceXml, startSim, termCtx, TERMINAL } from "./helpers.ts";

type Sim = Awaited<ReturnType<typeof startSim>>;

const fault = (s: Sim, body: object) => s.control("/__sim/faults", body);

describe("faults", () => {
  it("result: the next N calls answer the code without processing; '*' matches any operation", async () => {
    const s = await startSim();
    expect((await fault(s, { operation: "sendInvoice", resultCode: 94, count: 2 })).status).toBe(200);
    expect((await s.call("sendInvoice", termCtx() + invoiceXml())).code).toBe(94);
    expect((await s.call("sendInvoice", termCtx() + invoiceXml())).code).toBe(94);
    expect(s.r.sim.dump().invoices).toHaveLength(0);
    expect((await s.call("sendInvoice", termCtx() + invoiceXml())).code).toBe(0);
    await fault(s, { operation: "*", resultCode: 93 });
    const r = await s.call("benchmarkingNop", "");
    expect([r.code, r.get("resultDescription")]).toEqual([93, "SYSTEM_BUSY"]);
    expect((await s.call("benchmarkingNop", "")).code).toBe(0);
  });

  it("http500 before processing loses the call; with afterProcessing the invoice exists", async () => {
    const s = await startSim();
    await fault(s, { operation: "sendInvoice", kind: "http500" });
    const r = await s.call("sendInvoice", termCtx() + invoiceXml());
    expect([r.httpStatus, r.faultcode]).toEqual([500, "soap:Server"]);
    expect(s.r.sim.dump().invoices).toHaveLength(0);
    await fault(s, { operation: "sendInvoice", kind: "http500", afterProcessing: true });
    expect((await s.call("sendInvoice", termCtx() + invoiceXml())).httpStatus).toBe(500);
    expect(s.r.sim.dump().invoices).toHaveLength(1);
  });

  it("drop after processing: the commit happened, the answer is lost (indefinite)", async () => {
    const s = await startSim();
    const ref = await s.invoice({ mode: "RESERVATION_REQUIRED", timeout: 60 });
    s.r.sim.customerConfirm({ invoiceReference: ref });
    await fault(s, { operation: "commitReservation", kind: "drop", afterProcessing: true });
    const body = termCtx() + `<invoiceReference>${ref}</invoiceReference>`;
    await expect(s.call("commitReservation", body)).rejects.toThrow();
    expect(s.r.sim.invoice(ref)).toMatchObject({ status: "PAID", commitCalls: 1, commitsAccepted: 1 });
    // and the server keeps serving
    expect((await s.call("commitReservation", body)).code).toBe(96);
    expect(s.r.sim.invoice(ref)).toMatchObject({ commitCalls: 2, commitsAccepted: 1 });
  });

  it("drop before processing: nothing happened", async () => {
    const s = await startSim();
    await fault(s, { operation: "sendInvoice", kind: "drop" });
    await expect(s.call("sendInvoice", termCtx() + invoiceXml())).rejects.toThrow();
    expect(s.r.sim.dump().invoices).toHaveLength(0);
  });

  it("malformed: HTTP 200 with a body that is not XML (optionally after processing)", async () => {
    const s = await startSim();
    await fault(s, { operation: "getPaymentStatus", kind: "malformed" });
    const r = await s.call("getPaymentStatus", termCtx() + "<invoiceVersion>0</invoiceVersion>");
    expect(r.httpStatus).toBe(200);
    expect(r.root).toBeUndefined();
    await fault(s, { operation: "sendInvoice", kind: "malformed", afterProcessing: true });
    expect((await s.call("sendInvoice", termCtx() + invoiceXml())).root).toBeUndefined();
    expect(s.r.sim.dump().invoices).toHaveLength(1);
  });

  it("latency: answered normally after the delay", async () => {
    const s = await startSim();
    await fault(s, { operation: "benchmarkingNop", kind: "latency", latencyMs: 60 });
    const t0 = performance.now();
    expect((await s.call("benchmarkingNop", "")).code).toBe(0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(50);
  });

  it("rejects bad fault bodies with 400; lists and clears faults", async () => {
    const s = await startSim();
    const op = "sendInvoice";
    for (const bad of [
      {},
      { operation: "sendInvoices", resultCode: 94 },
      { operation: op, kind: "explode" },
      { operation: op },
      { operation: op, resultCode: "94" },
      { operation: op, resultCode: 94, count: 0 },
      { operation: op, kind: "latency", latencyMs: 10, afterProcessing: true },
    ]) {
      expect((await fault(s, bad)).status, JSON.stringify(bad)).toBe(400);
    }
    await fault(s, { operation: "sendInvoice", resultCode: 90, count: 3 });
    expect((await s.control("/__sim/faults")).json).toEqual([{ operation: "sendInvoice", kind: "result", resultCode: 90, count: 3, latencyMs: 0, afterProcessing: false }]);
    expect((await s.control("/__sim/faults", undefined, "DELETE")).status).toBe(200);
    expect((await s.control("/__sim/faults")).json).toEqual([]);
  });
});

describe("clock, state, routes", () => {
  it("POST /__sim/clock advances the timers (reversal)", async () => {
    const s = await startSim();
    const ref = await s.invoice();
    await s.control("/__sim/customer/confirm", { invoiceReference: ref });
    const before = s.clock.now();
    const adv = await s.control("/__sim/clock", { advanceSeconds: 20 });
    expect(adv.json.now).toBe(before + 20_000);
    expect((await s.status(ref, 2)).get("status")).toBe("CANCELED");
    expect((await s.control("/__sim/clock", { advanceSeconds: -1 })).status).toBe(400);
    expect((await s.control("/__sim/clock", { advanceSeconds: "soon" })).status).toBe(400);
  });

  it("GET /__sim/state dumps terminals (no passwords), invoices with counters, payments, refunds, periods", async () => {
    const s = await startSim();
    const ref = await s.invoice({ total: "12.34" });
    const { json } = await s.control("/__sim/state");
    expect(JSON.stringify(json)).not.toContain('"password"');
    expect(json.terminals.find((t: any) => t.terminalId === TERMINAL.id).invoiceReferences).toEqual([ref]);
    expect(json.invoices[0]).toMatchObject({
      invoiceReference: ref,
      terminalId: TERMINAL.id,
      status: "ISSUED",
      version: 1,
      paymentMode: "IMMEDIATE_DEBIT",
      totalMinor: 1234,
      currency: "SEK",
      reversed: false,
      commitCalls: 0,
      commitsAccepted: 0,
      updateCalls: 0,
      createdAt: s.clock.now(),
    });
    for (const k of ["payments", "refunds", "periods", "shops"]) expect(Array.isArray(json[k])).toBe(true);
  });

  it("rejects malformed customer input with 400", async () => {
    const s = await startSim();
    const ref = await s.invoice();
    expect((await s.control("/__sim/customer/scan", { invoiceReference: ref, tokens: "CARD" })).status).toBe(400);
    expect((await s.control("/__sim/customer/scan", { seqrId: 5 })).status).toBe(400);
    expect((await s.control("/__sim/customer/confirm", { invoiceReference: 5 })).status).toBe(400);
    expect((await s.control("/__sim/customer/confirm", [1])).status).toBe(400);
  });

  it("answers 400 for a non-JSON body and 404 for unknown paths; extension routes run before the 404", async () => {
    const s = await startSim();
    const res = await fetch(s.r.url + "/__sim/customer/confirm", { method: "POST", body: "{" });
    expect(res.status).toBe(400);
    expect((await s.control("/__sim/nothing")).status).toBe(404);
    s.r.addRoute((req, res, url) => {
      if (url.pathname !== "/api/ping") return false;
      res.end("pong");
      return true;
    });
    expect(await (await fetch(s.r.url + "/api/ping")).text()).toBe("pong");
    expect((await fetch(s.r.url + "/api/other")).status).toBe(404);
  });
});

describe("auto customer", () => {
  it("scans and confirms every new invoice after confirmAfterMs of simulator time", async () => {
    const s = await startSim();
    expect((await s.control("/__sim/auto-customer", { enabled: true, confirmAfterMs: 3000 })).json).toEqual({ enabled: true, confirmAfterMs: 3000 });
    const ref = await s.invoice();
    s.clock.advance(2999);
    expect(s.r.sim.invoice(ref)!.status).toBe("ISSUED");
    s.clock.advance(1);
    expect(s.r.sim.invoice(ref)!.status).toBe("PAID");
    const res = await s.invoice({ mode: "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT", timeout: 60 });
    s.clock.advance(3000);
    expect(s.r.sim.invoice(res)!.status).toBe("RESERVED");
  });

  it("only for the listed terminals; disabled again on request; settings from provisioning", async () => {
    const s = await startSim({ settings: { autoCustomer: { enabled: true, confirmAfterMs: 100, terminals: ["0460000100001002"] } } });
    const mine = await s.invoice();
    const other = await s.invoice({}, { id: "0460000100001002", password: "2009" });
    s.clock.advance(100);
    expect(s.r.sim.invoice(mine)!.status).toBe("ISSUED");
    expect(s.r.sim.invoice(other)!.status).toBe("PAID");
    s.r.sim.setAutoCustomer({ enabled: false });
    const later = await s.invoice({}, { id: "0460000100001002", password: "2009" });
    s.clock.advance(1000);
    expect(s.r.sim.invoice(later)!.status).toBe("ISSUED");
    expect((await s.control("/__sim/auto-customer", { confirmAfterMs: 1 })).status).toBe(400);
  });

  it("waits for the merchant's acknowledgement when it is required", async () => {
    const s = await startSim();
    s.r.sim.setAutoCustomer({ enabled: true, confirmAfterMs: 1000 });
    const ref = await s.invoice({ ack: "REQUIRE_ACKNOWLEDGMENT" });
    s.clock.advance(1000);
    expect(s.r.sim.invoice(ref)!.status).toBe("PENDING_ISSUER_ACKNOWLEDGE");
    await s.status(ref, 2); // acknowledges
    expect(s.r.sim.invoice(ref)!.status).toBe("ISSUED");
    s.clock.advance(1000);
    expect(s.r.sim.invoice(ref)!.status).toBe("PAID");
  });
});

describe("notificationUrl (§6.12, §9 A35)", () => {
  it("is called once with GET when the invoice becomes PAID", async () => {
    const hits: string[] = [];
    let notify!: () => void;
    const got = new Promise<void>((resolve) => (notify = resolve));
    const server = createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      res.end();
      notify();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify?session=abc`;
      const s = await startSim();
      const ref = await s.invoice({ notificationUrl: url.replace(/&/g, "&amp;") });
      s.r.sim.customerScan({ invoiceReference: ref });
      expect(hits).toEqual([]);
      s.r.sim.customerConfirm({ invoiceReference: ref });
      await got;
      expect(hits).toEqual(["GET /notify?session=abc"]);
      expect(s.r.sim.dump().notifications[0]).toMatchObject({ url, invoiceReference: ref });
    } finally {
      server.close();
    }
  });
});
