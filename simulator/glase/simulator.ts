// The in-memory Glase backend: state, settings, timers on the simulator clock, the control
// methods of §10 (customer side, faults, clock, auto customer, state dump). SOAP-agnostic: the
// wire lives in soap-operations.ts / soap-handler.ts.
import { AgentError } from "../../base/errors.ts";
import { createLogger } from "../../base/log.ts";
import { SimClock } from "../clock.ts";
import {
  autoAfterAcknowledgement,
  autoCustomerApplies,
  customerCancel,
  customerConfirm,
  customerFail,
  customerScan,
  customerSettle,
  scheduleAutoCustomer,
  type InvoiceSummary,
  type ScanInput,
} from "./customer.ts";
import { FaultQueue, parseFault, type FaultInput, type FaultSpec } from "./faults.ts";
import { IdGenerator } from "./ids.ts";
import { DEFAULT_PROVISIONING } from "./defaults.ts";
import type { Provisioning } from "./provisioning.ts";
import {
  DEFAULT_SETTINGS,
  type AutoCustomerSettings,
  type InvoiceRecord,
  type PaymentRecord,
  type PeriodRecord,
  type RefundRecord,
  type ShopRecord,
  type SimCore,
  type SimSettings,
  type SimState,
  type TerminalRecord,
} from "./state.ts";

const log = createLogger("glase-sim");

type TimerKind = "reversal" | "reservation" | "auto";

export class GlaseSimulator implements SimCore {
  readonly state: SimState = {
    shops: new Map(),
    terminals: new Map(),
    invoices: new Map(),
    payments: new Map(),
    refunds: new Map(),
    periods: new Map(),
    lastMark: new Map(),
    notifications: [],
  };
  readonly settings: SimSettings;
  readonly clock: SimClock;
  readonly ids: IdGenerator;
  readonly tokenIds: ReadonlySet<string>;
  readonly faults = new FaultQueue();
  readonly provision: Provisioning;
  private readonly timers = new Map<string, () => void>();

  constructor(opts: { clock?: SimClock; provision?: Provisioning; settings?: Partial<SimSettings> } = {}) {
    this.clock = opts.clock ?? new SimClock();
    this.ids = new IdGenerator(this.clock);
    this.provision = opts.provision ?? DEFAULT_PROVISIONING;
    const p = this.provision;
    this.settings = { ...DEFAULT_SETTINGS, ...stripUndefined(p.settings), ...stripUndefined(opts.settings ?? {}) } as SimSettings;
    this.settings.autoCustomer = { ...this.settings.autoCustomer };
    this.tokenIds = new Set(p.tokens.map((t) => t.id));
    for (const s of p.shops) this.state.shops.set(s.resellerId, { ...s });
    const firstShop = p.shops[0]!.resellerId;
    for (const t of p.terminals) {
      this.state.terminals.set(t.id, {
        terminalId: t.id,
        password: t.password,
        name: t.name,
        resellerId: t.resellerId ?? firstShop,
        seqrId: t.seqrId,
        cashRegister: t.cashRegister,
        blocked: t.blocked,
        registered: true,
        createdAt: this.clock.now(),
        invoiceReferences: [],
      });
    }
  }

  // ---- SimCore ----

  bump(inv: InvoiceRecord): void {
    inv.version++;
  }

  setInvoiceTimer(inv: InvoiceRecord, kind: TimerKind, ms: number, fn: () => void): void {
    this.clearInvoiceTimer(inv, kind);
    const key = `${kind}:${inv.invoiceReference}`;
    const cancel = this.clock.setTimer(ms, () => {
      this.timers.delete(key);
      try {
        fn();
      } catch (e) {
        log.error("timer_failed", { kind, invoiceReference: inv.invoiceReference, error: e });
      }
    });
    this.timers.set(key, cancel);
  }

  clearInvoiceTimer(inv: InvoiceRecord, kind: TimerKind): void {
    const key = `${kind}:${inv.invoiceReference}`;
    this.timers.get(key)?.();
    this.timers.delete(key);
  }

  onPaid(inv: InvoiceRecord): void {
    const url = inv.invoice.notificationUrl;
    if (!url) return;
    // "Please poll now" ping, only on PAID, fire-and-forget (§6.12, §9 A35).
    const entry: SimState["notifications"][number] = { url, invoiceReference: inv.invoiceReference, at: this.clock.now() };
    this.state.notifications.push(entry);
    fetch(url, { method: this.settings.notificationMethod, signal: AbortSignal.timeout(5000) }).then(
      (r) => (entry.outcome = `HTTP ${r.status}`),
      (e: unknown) => (entry.outcome = `failed: ${(e as Error).message}`),
    );
  }

  onInvoiceCreated(inv: InvoiceRecord): void {
    if (autoCustomerApplies(this, inv)) scheduleAutoCustomer(this, inv);
  }

  onAcknowledged(inv: InvoiceRecord): void {
    autoAfterAcknowledgement(this, inv);
  }

  // ---- control surface (§10) ----

  customerScan(input: ScanInput): InvoiceSummary {
    return customerScan(this, input);
  }

  /** `hold: true` leaves the invoice "payment in progress" until customerSettle/customerFail. */
  customerConfirm(input: { invoiceReference?: string; hold?: boolean }): InvoiceSummary {
    return customerConfirm(this, input);
  }

  customerSettle(input: { invoiceReference?: string }): InvoiceSummary {
    return customerSettle(this, input);
  }

  customerCancel(input: { invoiceReference?: string }): InvoiceSummary {
    return customerCancel(this, input);
  }

  customerFail(input: { invoiceReference?: string }): InvoiceSummary {
    return customerFail(this, input);
  }

  injectFault(input: FaultInput): FaultSpec {
    const spec = parseFault(input, this.settings.profile, this.settings.busyApplied);
    this.faults.add(spec);
    return spec;
  }

  clearFaults(): void {
    this.faults.clear();
  }

  advanceClock(seconds: number): { now: number } {
    if (typeof seconds !== "number" || !(seconds >= 0) || !Number.isFinite(seconds)) {
      throw new AgentError("INPUT_INVALID", "advanceSeconds must be a non-negative number", { advanceSeconds: seconds });
    }
    this.clock.advance(Math.round(seconds * 1000));
    return { now: this.clock.now() };
  }

  setAutoCustomer(input: Partial<AutoCustomerSettings> & { enabled: boolean }): AutoCustomerSettings {
    if (typeof input?.enabled !== "boolean") throw new AgentError("INPUT_INVALID", "enabled must be a boolean");
    const confirmAfterMs = input.confirmAfterMs ?? this.settings.autoCustomer.confirmAfterMs;
    if (typeof confirmAfterMs !== "number" || !(confirmAfterMs >= 0)) throw new AgentError("INPUT_INVALID", "confirmAfterMs must be a non-negative number");
    if (input.terminals !== undefined && (!Array.isArray(input.terminals) || input.terminals.some((t) => typeof t !== "string"))) {
      throw new AgentError("INPUT_INVALID", "terminals must be a list of terminal ids");
    }
    this.settings.autoCustomer = { enabled: input.enabled, confirmAfterMs, ...(input.terminals ? { terminals: [...input.terminals] } : {}) };
    return { ...this.settings.autoCustomer };
  }

  /** Blocks or unblocks a terminal: its calls answer 33 (INVALID_INITIATOR_PRINCIPAL_STATE). */
  setTerminalBlocked(terminalId: string, blocked: boolean): void {
    const t = this.state.terminals.get(terminalId);
    if (!t) throw new AgentError("NOT_FOUND", `no terminal ${terminalId}`, { terminalId });
    t.blocked = blocked;
  }

  invoice(invoiceReference: string): InvoiceRecord | undefined {
    return this.state.invoices.get(invoiceReference);
  }

  /** JSON-able copy of everything, passwords left out (GET /__sim/state). */
  dump(): SimDump {
    const copy = <T>(v: T): T => structuredClone(v);
    return {
      now: this.clock.now(),
      settings: copy(this.settings),
      shops: [...this.state.shops.values()].map(({ password: _p, ...s }) => copy(s)),
      terminals: [...this.state.terminals.values()].map(({ password: _p, ...t }) => copy(t)),
      invoices: [...this.state.invoices.values()].map((i) => copy(i)),
      payments: [...this.state.payments.values()].map((p) => copy(p)),
      refunds: [...this.state.refunds.values()].map((r) => copy(r)),
      periods: [...this.state.periods.values()].map((p) => copy(p)),
      notifications: copy(this.state.notifications),
      faults: this.faults.list(),
      pendingTimers: this.timers.size,
    };
  }

  /** Stops all timers (server close). */
  dispose(): void {
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }
}

export interface SimDump {
  now: number;
  settings: SimSettings;
  shops: Omit<ShopRecord, "password">[];
  terminals: Omit<TerminalRecord, "password">[];
  invoices: InvoiceRecord[];
  payments: PaymentRecord[];
  refunds: RefundRecord[];
  periods: PeriodRecord[];
  notifications: SimState["notifications"];
  faults: FaultSpec[];
  pendingTimers: number;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
