// The MDB state machine: what each line from the adapter means for the vend in progress — a vend
// request, its success, the machine's errors and session states — and the lines that cannot be
// read (counted, logged at most once a second; an unreadable vend request denied at once). Apart
// from the driver (cashless.ts), which carries each vend through the kiosk host.
import type { Scheduler } from "../../base/clock.ts";
import type { Logger } from "../../base/log.ts";
import type { CancelReason, ReleaseResult } from "../../contracts/kiosk.ts";
import type { MdbSettings } from "./config.ts";
import { command, parseAdapterLine, type AdapterLine } from "./protocol.ts";
import type { VendRecord } from "./vend-store.ts";

/** What the adapter's lines do to the vends (the driver's steps). */
export interface VendSteps {
  /** Queues a step behind everything before it. */
  run(step: () => Promise<void>): void;
  /** The vend in progress (requesting, waiting or approved), if any. */
  active(): VendRecord | undefined;
  startVend(amountMinor: number, product: string): Promise<void>;
  abandon(rec: VendRecord, why: string, reason: CancelReason, deny: boolean): Promise<void>;
  endApproved(a: VendRecord, why: string): Promise<void>;
  report(rec: VendRecord, result: ReleaseResult): Promise<void>;
  send(line: string): void;
  setReaderEnabled(enabled: boolean): void;
  /** The approval this process wrote and the machine has not answered yet. */
  justApproved(): number | undefined;
}

export class AdapterLines {
  readonly counters = { badLines: 0 };
  private lastBadLog = -Infinity;

  constructor(
    private readonly s: MdbSettings,
    private readonly scheduler: Scheduler,
    private readonly log: Logger,
    private readonly vend: VendSteps,
  ) {}

  onLine(raw: string): void {
    const parsed = parseAdapterLine(raw, this.s.amountFormat);
    if (!parsed.ok && raw.startsWith("c,STATUS,VEND,")) {
      // A customer waits at the machine for an answer we cannot give (e.g. the adapter writes
      // amounts in the other scale than amountFormat): deny at once, and say why, loudly.
      this.counters.badLines++;
      this.vend.run(() => this.onUnreadableVend(raw.slice(0, 80), parsed.problem));
      return;
    }
    if (!parsed.ok) {
      this.counters.badLines++;
      if (this.scheduler.now() - this.lastBadLog >= 1000) {
        this.lastBadLog = this.scheduler.now();
        this.log.warn("mdb_bad_line", { problem: parsed.problem, line: raw.slice(0, 80), total: this.counters.badLines });
      }
      return;
    }
    this.vend.run(() => this.onAdapter(parsed.line));
  }

  private async onAdapter(line: AdapterLine): Promise<void> {
    const a = this.vend.active();
    switch (line.kind) {
      case "vend-request":
        if (a && a.phase !== "approved" && a.amountMinor === line.amountMinor && a.product === line.product) return; // repeated after a reconnect
        if (a?.phase === "waiting") await this.vend.abandon(a, "the machine asked for another vend", "controller", false);
        if (a?.phase === "approved") await this.vend.endApproved(a, "the machine started a new vend without a result for the approved one");
        return this.vend.startVend(line.amountMinor, line.product);
      case "vend-success":
        if (a?.phase === "approved") return this.vend.report(a, { outcome: "delivered" });
        return this.log.warn("mdb_stray_success", {});
      case "error":
        return this.onError(a, line.error, line.text);
      case "status":
        this.vend.setReaderEnabled(line.status === "ENABLED" || line.status === "IDLE");
        if (line.status === "INACTIVE" || line.status === "DISABLED") {
          if (a?.phase === "waiting") return this.vend.abandon(a, `the machine reset or disabled the reader (${line.status})`, "controller", false);
          if (a?.phase === "approved") return this.vend.endApproved(a, `the machine reset mid-vend (${line.status})`);
        } else if (a?.phase === "waiting") {
          return this.vend.abandon(a, `the machine ended the session (${line.status})`, "controller", false);
        } else if (a?.phase === "approved") {
          return this.vend.endApproved(a, `the session ended (${line.status}) without a vend result`);
        }
        return;
      case "chatter":
        return;
    }
  }

  private async onUnreadableVend(line: string, problem: string): Promise<void> {
    const a = this.vend.active();
    if (a?.phase === "waiting") await this.vend.abandon(a, "the machine asked for another vend", "controller", false);
    if (a?.phase === "approved") await this.vend.endApproved(a, "the machine started a new vend without a result for the approved one");
    this.log.error("mdb_vend_request_unreadable", { line, problem, amountFormat: this.s.amountFormat, hint: "denied (C,STOP); check mdb amountFormat against the adapter's scale factor and decimals" });
    this.vend.send(command.deny());
  }

  private async onError(a: VendRecord | undefined, error: string, text: string): Promise<void> {
    if (error === "vend-failed" && a?.phase === "approved") return this.vend.report(a, { outcome: "failed", reason: `the machine could not dispense (${text})` });
    if (error === "vend-cancelled") {
      if (a?.phase === "waiting") return this.vend.abandon(a, "vend cancelled at the machine", "customer", false);
      if (a?.phase === "approved") return this.vend.report(a, { outcome: "failed", reason: `the machine cancelled the approved vend (${text})` });
    }
    if (error === "vend-reset") {
      if (a?.phase === "waiting") return this.vend.abandon(a, "the machine reset", "controller", false);
      if (a?.phase === "approved") return this.vend.endApproved(a, `the machine reset mid-vend (${text})`);
    }
    if (error === "wrong-state" && a?.phase === "approved" && this.vend.justApproved() === a.vendId) {
      return this.vend.report(a, { outcome: "failed", reason: "the machine was no longer waiting for the approval" });
    }
    if (error !== "already-on") this.log.warn("mdb_adapter_error", { error, text, vend: a?.vendId, phase: a?.phase });
  }
}
