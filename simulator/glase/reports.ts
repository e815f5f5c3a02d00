// Reconciliation (§3.11, §3.12, §5.7, §6.11): periods per shop or per terminal, and the report
// documents with the roots/fields of §5.7. Rows come from PAID, non-reversed payments (and the
// refunds, as negative detail rows) between the previous mark of the same scope and this one.
import type { Report } from "../../contracts/glase/types.ts";
import type { RequestContext } from "./soap-request.ts";
import { esc } from "./soap-response.ts";
import type { PeriodRecord, SimCore } from "./state.ts";
import { authShopOrTerminal } from "./terminals.ts";

export function markTransactionPeriod(core: SimCore, ctx: RequestContext, params: Record<string, string>): { code: number; transactionPeriodId?: string } {
  const auth = authShopOrTerminal(core, ctx);
  if (!auth.ok) return { code: auth.code };
  const { shop, terminal } = auth.value;
  let terminalId = terminal?.terminalId;
  const named = params.TERMINALID;
  if (named !== undefined) {
    const t = core.state.terminals.get(named);
    if (!t || !t.registered || t.resellerId !== shop.resellerId || (terminal && terminal.terminalId !== named)) return { code: 29 };
    terminalId = named;
  }
  const scope = terminalId ? `terminal:${terminalId}` : `shop:${shop.resellerId}`;
  const now = core.clock.now();
  const transactionPeriodId = core.ids.transactionReference();
  core.state.periods.set(transactionPeriodId, {
    transactionPeriodId,
    resellerId: shop.resellerId,
    terminalId,
    from: core.state.lastMark.get(scope) ?? 0,
    to: now,
    reportCalls: {},
  });
  core.state.lastMark.set(scope, now);
  return { code: 0, transactionPeriodId };
}

type ReportKind = "shop" | "byTerminal" | "details" | "byCashier" | "terminal" | "terminalDetails";

// Report ids and synonyms (§5.7, §9 A21) → what they contain and their title prefix.
const REPORTS: Record<string, { kind: ReportKind; name: string }> = {
  "Reconciliation/Shop.xml": { kind: "shop", name: "STD_RECON_001" },
  "Reconciliation/STD_RECON_001.xml": { kind: "shop", name: "STD_RECON_001" },
  "Reconciliation/STD_RECON_002.xml": { kind: "byTerminal", name: "STD_RECON_002" },
  "Reconciliation/STD_RECON_003.xml": { kind: "details", name: "STD_RECON_003" },
  "Reconciliation/STD_RECON_004.xml": { kind: "byCashier", name: "STD_RECON_004" },
  "Reconciliation/STD_RECON_006.xml": { kind: "terminal", name: "STD_RECON_006" },
  "Reconciliation/STD_RECON_007.xml": { kind: "terminalDetails", name: "STD_RECON_007" },
};

interface Line {
  terminalId: string;
  cashierId?: string;
  amountMinor: number;
  ersReference: string;
  sale: boolean;
}

/** Amounts are printed with 5 decimals (`93.31000`). */
function amount5(minor: number): string {
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(minor);
  return `${sign}${Math.floor(abs / 100)}.${(abs % 100).toString().padStart(2, "0")}000`;
}

function generatedAt(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}

function linesOf(core: SimCore, p: PeriodRecord): Line[] {
  const inScope = (resellerId: string, terminalId: string, at: number) =>
    resellerId === p.resellerId && (!p.terminalId || terminalId === p.terminalId) && at > p.from && at <= p.to;
  const lines: Line[] = [];
  for (const pay of core.state.payments.values()) {
    if (!pay.reversed && inScope(pay.resellerId, pay.terminalId, pay.paidAt)) {
      lines.push({ terminalId: pay.terminalId, cashierId: pay.cashierId, amountMinor: pay.amountMinor, ersReference: pay.ersReference, sale: true });
    }
  }
  for (const r of core.state.refunds.values()) {
    if (inScope(r.resellerId, r.terminalId, r.at)) {
      lines.push({ terminalId: r.terminalId, cashierId: r.cashierId, amountMinor: -r.amountMinor, ersReference: r.ersReference, sale: false });
    }
  }
  return lines;
}

/** SalesCount counts sales; SalesTotal is net of refunds. */
function summaryRow(lines: Line[], lead = ""): string {
  const count = lines.filter((l) => l.sale).length;
  const total = lines.reduce((s, l) => s + l.amountMinor, 0);
  return `<Row>\n${lead}<SalesCount>${count}</SalesCount>\n<SalesTotal>${amount5(total)}</SalesTotal>\n</Row>\n`;
}

function groupBy(lines: Line[], key: (l: Line) => string): Map<string, Line[]> {
  const m = new Map<string, Line[]>();
  for (const l of lines) m.set(key(l), [...(m.get(key(l)) ?? []), l]);
  return m;
}

function document(core: SimCore, kind: ReportKind, p: PeriodRecord): string {
  const lines = linesOf(core, p);
  const root = { shop: "ResellerTransactionSummary", byTerminal: "TerminalTransactionSummary", details: "TransactionDetails", byCashier: "CashierTransactionSummary", terminal: "TerminalTransactionSummary", terminalDetails: "TransactionDetails" }[kind];
  let rows = "";
  switch (kind) {
    case "shop":
    case "terminal":
      rows = summaryRow(lines);
      break;
    case "byTerminal":
      for (const [t, ls] of groupBy(lines, (l) => l.terminalId)) rows += summaryRow(ls, `<TerminalId>${esc(t)}</TerminalId>\n`);
      break;
    case "byCashier":
      for (const [c, ls] of groupBy(lines, (l) => l.cashierId ?? "NULL")) rows += summaryRow(ls, `<CashierId>${esc(c)}</CashierId>\n`);
      break;
    case "details":
    case "terminalDetails":
      for (const l of lines) {
        rows += `<Row>\n<TerminalId>${esc(l.terminalId)}</TerminalId>\n<CashierId>${esc(l.cashierId ?? "NULL")}</CashierId>\n<SalesAmount>${amount5(l.amountMinor)}</SalesAmount>\n<ErsReference>${l.ersReference}</ErsReference>\n</Row>\n`;
      }
      break;
  }
  const meta =
    `<Meta>\n<ResellerId>${esc(p.resellerId)}</ResellerId>\n` +
    (p.terminalId ? `<TerminalId>${esc(p.terminalId)}</TerminalId>\n` : "") +
    `<TransactionPeriodId>${p.transactionPeriodId}</TransactionPeriodId>\n<GeneratedAt>${generatedAt(core.clock.now())}</GeneratedAt>\n</Meta>\n`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}>\n${meta}${rows}</${root}>`;
}

export function executeReport(
  core: SimCore,
  ctx: RequestContext,
  reportId: string | undefined,
  params: Record<string, string>,
): { code: number; report?: Report } {
  const auth = authShopOrTerminal(core, ctx);
  if (!auth.ok) return { code: auth.code };
  const spec = reportId ? REPORTS[reportId.trim()] : undefined;
  if (!spec) return { code: 91 };
  const { shop, terminal } = auth.value;
  const period = params.transactionPeriodId ? core.state.periods.get(params.transactionPeriodId) : undefined;
  const perTerminal = spec.kind === "terminal" || spec.kind === "terminalDetails";
  const wantedTerminal = params.TERMINALID ?? terminal?.terminalId;
  // A report of a period that does not exist (for this principal), or of the wrong scope, never
  // becomes ready: per-terminal reports need a period marked with TERMINALID (FAQ, §6.11).
  const usable =
    period &&
    period.resellerId === shop.resellerId &&
    (!terminal || period.terminalId === terminal.terminalId) &&
    (perTerminal ? period.terminalId !== undefined && period.terminalId === wantedTerminal : period.terminalId === undefined);
  if (!period || !usable) return { code: 2 };
  const calls = (period.reportCalls[reportId!] ?? 0) + 1;
  period.reportCalls[reportId!] = calls;
  if (calls <= core.settings.reportNotReadyCalls) return { code: 2 };
  const contentString = document(core, spec.kind, period);
  return {
    code: 0,
    report: {
      title: `${spec.name}_${period.transactionPeriodId}.xml`,
      mimeType: "text/html", // as in every reconciliation example (§9 A22)
      content: Buffer.from(contentString, "utf8"),
      contentString,
    },
  };
}
