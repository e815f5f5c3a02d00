// The shift close's reports (contract §5.7): which report ids exist, which a scope fetches by
// default, and what their documents say, read into one summary (sales count, totals, lines) that
// the CLI shows as a table, CSV or JSON and the station prints. Pure: text in, data out.
import { AgentError } from "../../base/errors.ts";
import { reportMinor, reportRows } from "./report-rows.ts";

export type PeriodScope = "shop" | "terminal";

/** Every report id of §5.7, with the scope whose period it reads and what it holds. */
export const PERIOD_REPORTS: Readonly<Record<string, { readonly scope: PeriodScope; readonly holds: "totals" | "lines" | "by-terminal" | "by-cashier" }>> = {
  "Reconciliation/Shop.xml": { scope: "shop", holds: "totals" },
  "Reconciliation/STD_RECON_001.xml": { scope: "shop", holds: "totals" },
  "Reconciliation/STD_RECON_002.xml": { scope: "shop", holds: "by-terminal" },
  "Reconciliation/STD_RECON_003.xml": { scope: "shop", holds: "lines" },
  "Reconciliation/STD_RECON_004.xml": { scope: "shop", holds: "by-cashier" },
  "Reconciliation/STD_RECON_006.xml": { scope: "terminal", holds: "totals" },
  "Reconciliation/STD_RECON_007.xml": { scope: "terminal", holds: "lines" },
};

/** A shift close without --report-id: the period's totals, then its lines (§5.7's "end-of-shift report"). */
export const DEFAULT_PERIOD_REPORTS: Readonly<Record<PeriodScope, readonly [string, string]>> = {
  shop: ["Reconciliation/Shop.xml", "Reconciliation/STD_RECON_003.xml"],
  terminal: ["Reconciliation/STD_RECON_006.xml", "Reconciliation/STD_RECON_007.xml"],
};

const idsOf = (scope: PeriodScope) => Object.keys(PERIOD_REPORTS).filter((id) => PERIOD_REPORTS[id]!.scope === scope);

/**
 * The reports a close of `scope` fetches: the defaults, or exactly the ones asked for. An id §5.7
 * does not list, or one of the other scope (its period would never be ready: §6.11), is refused
 * before anything is marked, naming the ids that do work.
 */
export function periodReportIds(scope: PeriodScope, asked: readonly string[] = []): readonly [string, ...string[]] {
  if (asked.length === 0) return DEFAULT_PERIOD_REPORTS[scope];
  for (const id of asked) {
    const known = PERIOD_REPORTS[id];
    if (known === undefined) {
      throw new AgentError("INPUT_INVALID", `report id ${JSON.stringify(id)} is not a Glase report; for scope ${scope} use one of: ${idsOf(scope).join(", ")}`, { reportId: id, scope, reportIds: idsOf(scope) });
    }
    if (known.scope !== scope) {
      throw new AgentError("INPUT_INVALID", `report id ${id} reads a ${known.scope} period, not a ${scope} one; for scope ${scope} use one of: ${idsOf(scope).join(", ")}`, { reportId: id, scope, reportIds: idsOf(scope) });
    }
  }
  return [...new Set(asked)] as unknown as readonly [string, ...string[]];
}

export interface PeriodLine {
  /** The period whose report holds it (a shift of several periods). */
  readonly transactionPeriodId?: string;
  readonly terminalId: string;
  readonly cashierId?: string;
  /** Negative for a refund. */
  readonly amountMinor: number;
  readonly ersReference: string;
}

export interface PeriodGroup {
  readonly by: "terminal" | "cashier";
  readonly id: string;
  readonly salesCount: number;
  readonly salesTotalMinor: number;
}

export interface PeriodSummary {
  readonly scope: PeriodScope;
  readonly terminalId?: string;
  readonly transactionPeriodId?: string;
  /** A shift of several periods (a refund's marks split it): every period summed here, oldest first. */
  readonly periods?: readonly string[];
  /** As the document says it (`yyyy-MM-dd HH:mm`, Glase's time). */
  readonly generatedAt?: string;
  /** From a totals report: sales counted by Glase, their total net of refunds. */
  readonly salesCount?: number;
  readonly salesTotalMinor?: number;
  /** From a details report. */
  readonly lines?: readonly PeriodLine[];
  readonly groups?: readonly PeriodGroup[];
  /** Lines: sales (positive), refunds (negative), and their sum. */
  readonly linesSalesCount?: number;
  readonly linesRefundCount?: number;
  readonly linesTotalMinor?: number;
  /** What does not add up or could not be read; empty when the documents agree. */
  readonly problems: readonly string[];
}

function meta(document: string, field: string): string | undefined {
  const m = new RegExp(`<Meta>[\\s\\S]*?<${field}>([^<]*)</${field}>[\\s\\S]*?</Meta>`).exec(document);
  return m?.[1]?.trim() || undefined;
}

function count(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
}

type FetchedDocument = { readonly reportId: string; readonly report: string; readonly transactionPeriodId?: string };

/**
 * Reads the fetched documents of a close into one summary (unknown ids are ignored). A shift of
 * several periods (each document names its period) is their sum: counts and totals added, lines
 * and groups of all of them, each period's own checks kept (prefixed with its id). `partial` (the
 * shift may hold a period nobody can read) is a problem of the summary: it never reads as whole.
 */
export function summarizePeriod(
  scope: PeriodScope,
  reports: readonly FetchedDocument[],
  transactionPeriodId?: string,
  partial?: string,
): PeriodSummary {
  const order: string[] = [];
  const byPeriod = new Map<string, FetchedDocument[]>();
  for (const r of reports) {
    const id = r.transactionPeriodId ?? transactionPeriodId ?? "";
    if (!byPeriod.has(id)) (order.push(id), byPeriod.set(id, []));
    byPeriod.get(id)!.push(r);
  }
  const extra = partial !== undefined ? [`partial shift: ${partial}`] : [];
  if (order.length <= 1) {
    const one = summarizeOne(scope, reports, transactionPeriodId);
    return extra.length > 0 ? { ...one, problems: [...one.problems, ...extra] } : one;
  }
  const parts = order.map((id) => summarizeOne(scope, byPeriod.get(id)!, id || undefined));
  const sum = (pick: (p: PeriodSummary) => number | undefined): number | undefined => {
    const xs = parts.map(pick);
    return xs.every((x) => x !== undefined) ? xs.reduce<number>((a, x) => a + x!, 0) : undefined;
  };
  const lines = parts.some((p) => p.lines !== undefined) ? parts.flatMap((p) => (p.lines ?? []).map((l) => ({ ...l, ...(p.transactionPeriodId !== undefined ? { transactionPeriodId: p.transactionPeriodId } : {}) }))) : undefined;
  const groups = new Map<string, PeriodGroup>();
  for (const g of parts.flatMap((p) => p.groups ?? [])) {
    const k = `${g.by}\u0000${g.id}`;
    const had = groups.get(k);
    groups.set(k, had ? { ...had, salesCount: had.salesCount + g.salesCount, salesTotalMinor: had.salesTotalMinor + g.salesTotalMinor } : g);
  }
  const salesCount = sum((p) => p.salesCount);
  const salesTotalMinor = sum((p) => p.salesTotalMinor);
  const last = parts[parts.length - 1]!;
  return {
    scope,
    ...(transactionPeriodId !== undefined ? { transactionPeriodId } : {}),
    periods: order.filter((id) => id !== ""),
    ...(last.terminalId !== undefined ? { terminalId: last.terminalId } : parts.find((p) => p.terminalId) ? { terminalId: parts.find((p) => p.terminalId)!.terminalId } : {}),
    ...(last.generatedAt !== undefined ? { generatedAt: last.generatedAt } : {}),
    ...(salesCount !== undefined && salesTotalMinor !== undefined ? { salesCount, salesTotalMinor } : {}),
    ...(lines !== undefined
      ? { lines, linesSalesCount: lines.filter((l) => l.amountMinor > 0).length, linesRefundCount: lines.filter((l) => l.amountMinor < 0).length, linesTotalMinor: lines.reduce((a, l) => a + l.amountMinor, 0) }
      : {}),
    ...(groups.size > 0 ? { groups: [...groups.values()] } : {}),
    problems: [...parts.flatMap((p) => p.problems.map((x) => `period ${p.transactionPeriodId ?? "?"}: ${x}`)), ...extra],
  };
}

function summarizeOne(scope: PeriodScope, reports: readonly FetchedDocument[], transactionPeriodId?: string): PeriodSummary {
  const problems: string[] = [];
  let out: Omit<PeriodSummary, "problems" | "scope"> = transactionPeriodId !== undefined ? { transactionPeriodId } : {};
  for (const { reportId, report } of reports) {
    const holds = PERIOD_REPORTS[reportId]?.holds;
    if (holds === undefined) continue;
    const terminalId = meta(report, "TerminalId");
    const generatedAt = meta(report, "GeneratedAt");
    out = { ...out, ...(terminalId !== undefined ? { terminalId } : {}), ...(generatedAt !== undefined ? { generatedAt } : {}) };
    const rows = reportRows(report);
    if (holds === "totals") {
      const row = rows[0];
      const salesCount = count(row?.SalesCount);
      const salesTotalMinor = reportMinor(row?.SalesTotal);
      if (salesCount === undefined || salesTotalMinor === undefined) problems.push(`${reportId}: no readable SalesCount/SalesTotal row`);
      else out = { ...out, salesCount, salesTotalMinor };
    } else if (holds === "lines") {
      const lines: PeriodLine[] = [];
      for (const r of rows) {
        const amountMinor = reportMinor(r.SalesAmount);
        if (amountMinor === undefined || !r.ErsReference) {
          problems.push(`${reportId}: unreadable line ${JSON.stringify(r)}`);
          continue;
        }
        const cashierId = r.CashierId && r.CashierId !== "NULL" ? r.CashierId : undefined;
        lines.push({ terminalId: r.TerminalId ?? "", ...(cashierId !== undefined ? { cashierId } : {}), amountMinor, ersReference: r.ErsReference });
      }
      out = {
        ...out,
        lines,
        linesSalesCount: lines.filter((l) => l.amountMinor > 0).length,
        linesRefundCount: lines.filter((l) => l.amountMinor < 0).length,
        linesTotalMinor: lines.reduce((a, l) => a + l.amountMinor, 0),
      };
    } else {
      const by = holds === "by-terminal" ? "terminal" : "cashier";
      const groups = rows.flatMap((r): PeriodGroup[] => {
        const salesCount = count(r.SalesCount);
        const salesTotalMinor = reportMinor(r.SalesTotal);
        if (salesCount === undefined || salesTotalMinor === undefined) {
          problems.push(`${reportId}: unreadable row ${JSON.stringify(r)}`);
          return [];
        }
        return [{ by, id: (by === "terminal" ? r.TerminalId : r.CashierId) ?? "", salesCount, salesTotalMinor }];
      });
      out = { ...out, groups: [...(out.groups ?? []), ...groups] };
    }
  }
  if (out.salesTotalMinor !== undefined && out.linesTotalMinor !== undefined && out.salesTotalMinor !== out.linesTotalMinor) {
    problems.push(`the totals report says ${out.salesTotalMinor} (minor units) but its lines add up to ${out.linesTotalMinor}`);
  }
  if (out.salesCount !== undefined && out.linesSalesCount !== undefined && out.salesCount !== out.linesSalesCount) {
    problems.push(`the totals report counts ${out.salesCount} sales but the lines hold ${out.linesSalesCount}`);
  }
  return { scope, ...out, problems };
}
