// Reconciliation (§3.11, §3.12, §5.7, §6.11): periods per shop / per terminal, REPORT_NOT_READY
// first, every report id with its document root and row fields, reversed payments excluded.
import { describe, expect, it } from "vitest";
import { parseXml, child, childrenNamed } from "../../simulator/glase/xml.ts";
import { shopCtx, startSim, termCtx, TERMINAL } from "./helpers.ts";

type Sim = Awaited<ReturnType<typeof startSim>>;

const params = (entries: Record<string, string>) =>
  `<parameters><parameter>${Object.entries(entries)
    .map(([k, v]) => `<entry><key>${k}</key><value>${v}</value></entry>`)
    .join("")}</parameter></parameters>`;

async function pay(s: Sim, total: string, cashierId?: string, terminal = TERMINAL): Promise<string> {
  const ref = await s.invoice({ total, cashierId }, terminal);
  s.r.sim.customerConfirm({ invoiceReference: ref });
  return (await s.status(ref, 2, terminal)).get("ersReference")!;
}

async function report(s: Sim, reportId: string, entries: Record<string, string>, ctx = shopCtx()) {
  const r = await s.call("executeReport", ctx + `<reportId>${reportId}</reportId><language>en</language>` + params(entries));
  return r;
}

describe("markTransactionPeriod + executeReport", () => {
  it("answers REPORT_NOT_READY on the first call, then the shop report with base64 content = contentString", async () => {
    const s = await startSim();
    s.clock.advance(1000);
    await pay(s, "93.31");
    await pay(s, "60.59", "Bob");
    s.clock.advance(1000);
    const mark = await s.call("markTransactionPeriod", shopCtx());
    expect(mark.code).toBe(0);
    const id = mark.get("transactionPeriodId")!;
    expect(id).toMatch(/^\d{25}$/);
    expect(mark.get("ersReference")).toBeUndefined();
    const first = await report(s, "Reconciliation/Shop.xml", { transactionPeriodId: id });
    expect([first.code, first.get("resultDescription")]).toEqual([2, "REPORT_NOT_READY"]);
    const ok = await report(s, "Reconciliation/Shop.xml", { transactionPeriodId: id });
    expect(ok.code).toBe(0);
    const rep = child(ok.ret, "report")!;
    expect(rep.children.map((c) => c.local)).toEqual(["title", "mimeType", "content", "contentString"]);
    expect(child(rep, "title")!.text).toBe(`STD_RECON_001_${id}.xml`);
    expect(child(rep, "mimeType")!.text).toBe("text/html");
    const doc = child(rep, "contentString")!.text;
    expect(Buffer.from(child(rep, "content")!.text, "base64").toString("utf8")).toBe(doc);
    const root = parseXml(doc);
    expect(root.local).toBe("ResellerTransactionSummary");
    expect(child(child(root, "Meta"), "ResellerId")!.text).toBe("reseller");
    expect(child(child(root, "Meta"), "TransactionPeriodId")!.text).toBe(id);
    expect(child(child(root, "Meta"), "GeneratedAt")!.text).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    const row = child(root, "Row")!;
    expect([child(row, "SalesCount")!.text, child(row, "SalesTotal")!.text]).toEqual(["2", "153.90000"]);
  });

  it("produces every shop report id with its root and row fields (§5.7)", async () => {
    const s = await startSim({ settings: { reportNotReadyCalls: 0 } });
    const other = { id: "0460000100001002", password: "2009" };
    const e1 = await pay(s, "10.00", "Anna");
    const e2 = await pay(s, "20.00", undefined, other);
    s.clock.advance(1000);
    const id = (await s.call("markTransactionPeriod", shopCtx())).get("transactionPeriodId")!;
    const docOf = async (rid: string) => parseXml(child(child((await report(s, rid, { transactionPeriodId: id })).ret, "report"), "contentString")!.text);

    const r1 = await docOf("Reconciliation/STD_RECON_001.xml");
    expect(r1.local).toBe("ResellerTransactionSummary");
    const r2 = await docOf("Reconciliation/STD_RECON_002.xml");
    expect(r2.local).toBe("TerminalTransactionSummary");
    expect(childrenNamed(r2, "Row").map((r) => r.children.map((c) => c.local))).toEqual([
      ["TerminalId", "SalesCount", "SalesTotal"],
      ["TerminalId", "SalesCount", "SalesTotal"],
    ]);
    const r3 = await docOf("Reconciliation/STD_RECON_003.xml");
    expect(r3.local).toBe("TransactionDetails");
    const rows3 = childrenNamed(r3, "Row");
    expect(rows3.map((r) => r.children.map((c) => c.local))[0]).toEqual(["TerminalId", "CashierId", "SalesAmount", "ErsReference"]);
    expect(rows3.map((r) => [child(r, "CashierId")!.text, child(r, "SalesAmount")!.text, child(r, "ErsReference")!.text])).toEqual([
      ["Anna", "10.00000", e1],
      ["NULL", "20.00000", e2],
    ]);
    const r4 = await docOf("Reconciliation/STD_RECON_004.xml");
    expect(r4.local).toBe("CashierTransactionSummary");
    expect(childrenNamed(r4, "Row").map((r) => child(r, "CashierId")!.text)).toEqual(["Anna", "NULL"]);
    // per-terminal reports need a period marked with TERMINALID: never ready for a shop period
    expect((await report(s, "Reconciliation/STD_RECON_006.xml", { transactionPeriodId: id, TERMINALID: TERMINAL.id })).code).toBe(2);
    expect((await report(s, "Reconciliation/STD_RECON_005.xml", { transactionPeriodId: id })).code).toBe(91);
    expect((await report(s, "SOME_REPORT", { transactionPeriodId: id })).code).toBe(91);
  });

  it("per-terminal periods (TERMINALID parameter or TERMINALID principal, §9 A26) feed 006/007", async () => {
    const s = await startSim({ settings: { reportNotReadyCalls: 0 } });
    const other = { id: "0460000100001002", password: "2009" };
    const mine = await pay(s, "12.00");
    await pay(s, "99.00", undefined, other);
    const refund = await s.call("refundPayment", termCtx() + `<ersReference>${mine}</ersReference><invoice><totalAmount><currency>SEK</currency><value>2.00</value></totalAmount></invoice>`);
    expect(refund.code).toBe(0);
    s.clock.advance(1000);
    const id = (await s.call("markTransactionPeriod", shopCtx() + params({ TERMINALID: TERMINAL.id }))).get("transactionPeriodId")!;
    const r6 = await report(s, "Reconciliation/STD_RECON_006.xml", { transactionPeriodId: id, TERMINALID: TERMINAL.id });
    const d6 = parseXml(child(child(r6.ret, "report"), "contentString")!.text);
    expect(d6.local).toBe("TerminalTransactionSummary");
    expect(child(child(d6, "Meta"), "TerminalId")!.text).toBe(TERMINAL.id);
    expect([child(child(d6, "Row"), "SalesCount")!.text, child(child(d6, "Row"), "SalesTotal")!.text]).toEqual(["1", "10.00000"]);
    const r7 = await report(s, "Reconciliation/STD_RECON_007.xml", { transactionPeriodId: id, TERMINALID: TERMINAL.id });
    const d7 = parseXml(child(child(r7.ret, "report"), "contentString")!.text);
    expect(d7.local).toBe("TransactionDetails");
    expect(childrenNamed(d7, "Row").map((r) => child(r, "SalesAmount")!.text)).toEqual(["12.00000", "-2.00000"]);
    // shop reports do not work on a terminal period
    expect((await report(s, "Reconciliation/Shop.xml", { transactionPeriodId: id })).code).toBe(2);

    // the terminal itself marks and reads its own period
    s.clock.advance(1000);
    await pay(s, "7.00");
    s.clock.advance(1000);
    const own = await s.call("markTransactionPeriod", termCtx());
    expect(own.code).toBe(0);
    const ownId = own.get("transactionPeriodId")!;
    const r = await report(s, "Reconciliation/STD_RECON_006.xml", { transactionPeriodId: ownId }, termCtx());
    expect(r.code).toBe(0);
    expect(child(child(r.ret, "report"), "contentString")!.text).toContain("<SalesTotal>7.00000</SalesTotal>");
    // another terminal's TERMINALID from a terminal principal ⇒ 29
    expect((await s.call("markTransactionPeriod", termCtx() + params({ TERMINALID: other.id }))).code).toBe(29);
    expect((await s.call("markTransactionPeriod", shopCtx() + params({ TERMINALID: "unknown" }))).code).toBe(29);
  });

  it("excludes reversed payments; periods cover the time since the previous mark of the same scope", async () => {
    const s = await startSim({ settings: { reportNotReadyCalls: 0 } });
    await pay(s, "5.00");
    const lost = await s.invoice({ total: "50.00" });
    s.r.sim.customerConfirm({ invoiceReference: lost });
    s.clock.advance(20_000); // never polled ⇒ reversed
    const id1 = (await s.call("markTransactionPeriod", shopCtx())).get("transactionPeriodId")!;
    s.clock.advance(1000);
    await pay(s, "8.00");
    s.clock.advance(1000);
    const id2 = (await s.call("markTransactionPeriod", shopCtx())).get("transactionPeriodId")!;
    const total = async (id: string) => {
      const r = await report(s, "Reconciliation/Shop.xml", { transactionPeriodId: id });
      return /<SalesTotal>([^<]+)<\/SalesTotal>/.exec(child(child(r.ret, "report"), "contentString")!.text)![1];
    };
    expect(await total(id1)).toBe("5.00000");
    expect(await total(id2)).toBe("8.00000");
  });

  it("counts REPORT_NOT_READY per period and report; N is configurable; unknown period never ready", async () => {
    const s = await startSim({ settings: { reportNotReadyCalls: 3 } });
    const id = (await s.call("markTransactionPeriod", shopCtx())).get("transactionPeriodId")!;
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await report(s, "Reconciliation/Shop.xml", { transactionPeriodId: id })).code);
    expect(codes).toEqual([2, 2, 2, 0]);
    expect((await report(s, "Reconciliation/STD_RECON_002.xml", { transactionPeriodId: id })).code).toBe(2);
    expect((await report(s, "Reconciliation/Shop.xml", { transactionPeriodId: "1" })).code).toBe(2);
    expect((await report(s, "Reconciliation/Shop.xml", {})).code).toBe(2);
  });

  it("checks credentials (20/37/91)", async () => {
    const s = await startSim();
    expect((await s.call("markTransactionPeriod", shopCtx("reseller", "9900", "bad"))).code).toBe(20);
    expect((await s.call("markTransactionPeriod", shopCtx("nobody"))).code).toBe(37);
    expect((await report(s, "Reconciliation/Shop.xml", {}, shopCtx("reseller", null))).code).toBe(37);
    const weird = `<context><initiatorPrincipalId><id>x</id><type>OPERATOR</type></initiatorPrincipalId><password>x</password></context>`;
    expect((await s.call("executeReport", weird + "<reportId>Reconciliation/Shop.xml</reportId>")).code).toBe(91);
  });
});
