// The operator's jobs the running agent does for `ctl`: the online backup snapshot, the
// bookkeeping export (both on their own read-only journal connection, never the writer's), and a
// test print. Station delegates to it; the composition root gives it the paths.
import { takeSnapshot, releaseSnapshot } from "../backup/snapshot.ts";
import type { ReceiptPrinter } from "../../contracts/printer.ts";
import { AgentError } from "../../base/errors.ts";
import { exportRows, exportRow } from "../export/sales-export.ts";
import { JournalReader } from "../journal/reader.ts";
import type { BackupSnapshotInfo, ExportPageResult } from "./sockets/control.ts";

export interface OperatorToolsOptions {
  readonly stateDir: string;
  readonly journalPath: string;
  readonly invoiceJournalPath?: string;
  readonly driverStorePath?: string;
  readonly terminalsDir: string;
  readonly station: () => string;
  readonly currency: () => string;
  readonly version: string;
  readonly printer?: ReceiptPrinter;
  readonly printerKind?: string;
}

function parseCursor(cursor: string): { at: number; flowId: string } {
  const m = /^(\d{1,15}):(.{1,200})$/.exec(cursor);
  if (!m) throw new AgentError("INPUT_INVALID", `cursor: expected AT:FLOW_ID (from the previous page), got ${JSON.stringify(cursor.slice(0, 40))}`);
  return { at: Number(m[1]), flowId: m[2]! };
}

export class OperatorTools {
  constructor(private readonly o: OperatorToolsOptions) {}

  async backup(): Promise<BackupSnapshotInfo> {
    const live = { stateDir: this.o.stateDir, journal: this.o.journalPath, ...(this.o.invoiceJournalPath ? { invoiceJournal: this.o.invoiceJournalPath } : {}) };
    return { ...(await this.snapshot()), live };
  }

  private snapshot(): Promise<BackupSnapshotInfo> {
    return takeSnapshot({
      stagingRoot: this.o.stateDir,
      journalPath: this.o.journalPath,
      ...(this.o.invoiceJournalPath ? { invoiceJournalPath: this.o.invoiceJournalPath } : {}),
      ...(this.o.driverStorePath ? { driverStorePath: this.o.driverStorePath } : {}),
      terminalsDir: this.o.terminalsDir,
      station: this.o.station(),
      agentVersion: this.o.version,
    });
  }

  async releaseBackup(id: string): Promise<{ released: boolean }> {
    return { released: await releaseSnapshot(this.o.stateDir, id) };
  }

  async exportSales(q: { readonly since: number; readonly until: number; readonly cursor?: string; readonly n: number }): Promise<ExportPageResult> {
    if (q.until <= q.since) throw new AgentError("INPUT_INVALID", "until: must be after since");
    const reader = await JournalReader.open(this.o.journalPath);
    try {
      const page = await reader.exportPage({ since: q.since, until: q.until, limit: q.n, ...(q.cursor !== undefined ? { after: parseCursor(q.cursor) } : {}) });
      return { rows: page.records.flatMap(exportRows), ...(page.next ? { next: `${page.next.at}:${page.next.flowId}` } : {}) };
    } finally {
      await reader.close();
    }
  }

  async printTest(): Promise<{ printed: true; printer: string }> {
    if (!this.o.printer) throw new AgentError("NOT_FOUND", "no printer configured (devices.printer)");
    const now = new Date();
    await this.o.printer.print({
      stationName: this.o.station(),
      terminalId: "-",
      amountMinor: 0,
      currency: this.o.currency(),
      ersReference: "TEST PRINT",
      description: "Test print - not a receipt",
      timestamp: now.toISOString(),
      extraLines: [`glase-agent ${this.o.version}`, "If you can read this, the printer works."],
    });
    return { printed: true, printer: this.o.printerKind ?? "configured" };
  }
}
