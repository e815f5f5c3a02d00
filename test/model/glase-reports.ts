// The reference model's reconciliation reports (contract §5.7, §6.11): which transactions a
// period holds and the document executeReport returns for it. Kept beside the model so the
// invariants can compute "the report the technician should have got" the same way.
export interface PeriodTx {
  readonly kind: "payment" | "refund";
  readonly terminalId: string;
  readonly ersReference: string;
  readonly amountMinor: number;
  readonly at: number;
  readonly cashierId?: string;
}

export interface ModelPeriod {
  readonly id: string;
  readonly scope: "shop" | "terminal";
  readonly terminalId?: string;
  readonly from: number;
  readonly to: number;
  /** clientReference of the markTransactionPeriod that closed it (whose flow asked). */
  readonly markRef?: string;
  reportCalls: number;
}

export const TERMINAL_REPORTS = ["Reconciliation/STD_RECON_006.xml", "Reconciliation/STD_RECON_007.xml"];
export const SHOP_REPORTS = [
  "Reconciliation/Shop.xml",
  "Reconciliation/STD_RECON_001.xml",
  "Reconciliation/STD_RECON_002.xml",
  "Reconciliation/STD_RECON_003.xml",
  "Reconciliation/STD_RECON_004.xml",
];

const five = (minor: number) => `${minor < 0 ? "-" : ""}${Math.floor(Math.abs(minor) / 100)}.${String(Math.abs(minor) % 100).padStart(2, "0")}000`;

/** The transactions of a period: non-reversed payments PAID in it and the refunds made in it. */
export function periodTransactions(p: ModelPeriod, all: readonly PeriodTx[]): PeriodTx[] {
  return all.filter((t) => t.at > p.from && t.at <= p.to && (p.scope === "shop" || t.terminalId === p.terminalId));
}

/** The document of reportId for period p (details reports list every line; the others sum). */
export function reportDocument(reportId: string, p: ModelPeriod, txs: readonly PeriodTx[]): string {
  const details = reportId.endsWith("003.xml") || reportId.endsWith("007.xml");
  const root = details ? "TransactionDetails" : p.scope === "shop" && !reportId.endsWith("002.xml") ? "ResellerTransactionSummary" : "TerminalTransactionSummary";
  const meta = `<Meta><ResellerId>model_shop</ResellerId>${p.terminalId ? `<TerminalId>${p.terminalId}</TerminalId>` : ""}<TransactionPeriodId>${p.id}</TransactionPeriodId></Meta>`;
  let rows: string;
  if (details) {
    rows = txs
      .map((t) => `<Row><TerminalId>${t.terminalId}</TerminalId><CashierId>${t.cashierId ?? "NULL"}</CashierId><SalesAmount>${five(t.kind === "refund" ? -t.amountMinor : t.amountMinor)}</SalesAmount><ErsReference>${t.ersReference}</ErsReference></Row>`)
      .join("");
  } else {
    const pay = txs.filter((t) => t.kind === "payment");
    const ref = txs.filter((t) => t.kind === "refund");
    const sum = (xs: readonly PeriodTx[]) => xs.reduce((a, t) => a + t.amountMinor, 0);
    rows = `<Row><SalesCount>${pay.length}</SalesCount><SalesTotal>${five(sum(pay))}</SalesTotal><RefundsCount>${ref.length}</RefundsCount><RefundsTotal>${five(sum(ref))}</RefundsTotal></Row>`;
  }
  return `<?xml version="1.0" encoding="UTF-8"?><${root}>${meta}${rows}</${root}>`;
}
