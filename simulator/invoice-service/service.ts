// The simulated Invoice Service (contract §7): provisioned issuers, paying an invoice QR (the
// customer's app in the real system), the paid-invoice store, the notifications to issuers and
// the lookups behind the details and report endpoints. Transport lives in routes.ts.
import { AgentError } from "../../base/errors.ts";
import type { Scheduler } from "../../base/clock.ts";
import { formatMinor } from "../../base/money.ts";
import { verifyInvoiceJwt, type InvoiceClaims, type JwtField } from "../../contracts/invoice-service/jwt.ts";
import { DEFAULT_QR_HOST, jwtOfQr } from "../../contracts/invoice-service/qr.ts";
import { issuerToken, constantTimeEqual } from "../../contracts/invoice-service/token.ts";
import type { DetailsRecord } from "../../contracts/invoice-service/details.ts";
import { NotificationDelivery, type NotificationAttempt } from "./notifier.ts";
import { formatIsoWithOffset, formatPurchaseTime, localDayKey } from "./stockholm-time.ts";

export interface IssuerProvision {
  readonly name: string;
  readonly secret: string;
  readonly notificationUrl: string;
}

/** Optional payer data the issuer may have asked for (§7.2). */
export interface PayerInfo {
  readonly msisdn?: string;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly street?: string;
  readonly city?: string;
  readonly zip?: string;
  readonly country?: string;
}

export interface PaidInvoice extends InvoiceClaims {
  readonly id: number;
  readonly issuer: string;
  readonly ersReference: string;
  readonly paidAt: number;
  readonly payer: PayerInfo;
  readonly attempts: NotificationAttempt[];
}

export type PayResult =
  | { readonly ok: true; readonly invoice: PaidInvoice }
  | { readonly ok: false; readonly error: string; readonly field?: JwtField | "qr" };

export interface InvoiceServiceOptions {
  readonly clock: Scheduler;
  readonly issuers: readonly IssuerProvision[];
  /** Host accepted in invoice QR codes (default SEQR.SE). */
  readonly qrHost?: string;
  /** Multiplies the §7.5 retry delays; 1 = real schedule. */
  readonly scheduleScale?: number;
  /** Real-time budget of one notification attempt (default 10 s). */
  readonly attemptTimeoutMs?: number;
  /** First invoice id handed out (default 1001). */
  readonly firstInvoiceId?: number;
}

export class InvoiceServiceSim {
  private readonly issuers = new Map<string, IssuerProvision>();
  private readonly invoices = new Map<number, PaidInvoice>();
  private readonly deliveries = new Map<number, NotificationDelivery>();
  private nextId: number;
  private ersSequence = 0;

  constructor(private readonly options: InvoiceServiceOptions) {
    for (const issuer of options.issuers) this.provisionIssuer(issuer);
    this.nextId = options.firstInvoiceId ?? 1001;
  }

  get clock(): Scheduler {
    return this.options.clock;
  }

  provisionIssuer(issuer: IssuerProvision): void {
    if (!issuer.name || !issuer.secret) throw new AgentError("INPUT_INVALID", "an issuer needs a name and a secret", { issuer: issuer.name });
    this.issuers.set(issuer.name, issuer);
  }

  issuerNames(): string[] {
    return [...this.issuers.keys()];
  }

  /** The customer pays an invoice QR. Verification failures name the offending field. */
  pay(qr: string, payer: PayerInfo = {}): PayResult {
    const host = this.options.qrHost ?? DEFAULT_QR_HOST;
    const jwt = jwtOfQr(qr, host);
    if (jwt === undefined) {
      return { ok: false, field: "qr", error: `not an invoice QR code: expected HTTP://${host}/000/invoice?j=<JWT>` };
    }
    const verdict = verifyInvoiceJwt(jwt, (name) => this.issuers.get(name)?.secret);
    if (!verdict.ok) return { ok: false, field: verdict.field, error: verdict.reason };
    const { issuer, claims } = verdict;
    const earlier = [...this.invoices.values()].filter((i) => i.issuer === issuer && i.reference === claims.reference);
    if (earlier.length > 0 && (claims.payOnce || earlier.some((i) => i.payOnce))) {
      return { ok: false, field: "r", error: `invoice ${JSON.stringify(claims.reference)} can be paid only once and is already paid (id ${earlier[0]!.id})` };
    }
    const paidAt = this.options.clock.now();
    const invoice: PaidInvoice = {
      ...claims,
      id: this.nextId++,
      issuer,
      ersReference: this.ersReference(paidAt),
      paidAt,
      payer,
      attempts: [],
    };
    this.invoices.set(invoice.id, invoice);
    this.startNotification(invoice);
    return { ok: true, invoice };
  }

  /** Checks issuer + token in constant time; unknown issuers compare against a dummy token. */
  authenticate(issuerName: string | null, token: string | undefined): boolean {
    const issuer = issuerName === null ? undefined : this.issuers.get(issuerName);
    const expected = issuer ? issuerToken(issuer.name, issuer.secret) : "0".repeat(64);
    const match = constantTimeEqual(token ?? "", expected);
    return issuer !== undefined && token !== undefined && match;
  }

  /** An issuer sees only its own invoices: another issuer's id looks unknown. */
  invoiceOf(issuerName: string, id: number): PaidInvoice | undefined {
    const invoice = this.invoices.get(id);
    return invoice?.issuer === issuerName ? invoice : undefined;
  }

  /** Paid invoices of an issuer whose Stockholm purchase day is within [fromDay, toDay]. */
  reportOf(issuerName: string, fromDay: number, toDay: number): PaidInvoice[] {
    return [...this.invoices.values()].filter((i) => {
      const day = localDayKey(i.paidAt);
      return i.issuer === issuerName && day >= fromDay && day <= toDay;
    });
  }

  detailsOf(invoice: PaidInvoice): DetailsRecord {
    const p = invoice.payer;
    return {
      id: invoice.id,
      description: invoice.description,
      amountMinor: invoice.amountMinor,
      currency: invoice.currency,
      status: "PAID",
      reference: invoice.reference,
      ersReference: invoice.ersReference,
      purchaseTime: formatPurchaseTime(invoice.paidAt),
      payerMsisdn: p.msisdn,
      payerFirstName: p.firstName,
      payerLastName: p.lastName,
      payerStreet: p.street,
      payerCity: p.city,
      payerZip: p.zip,
      payerCountry: p.country,
    };
  }

  /** State dump for `GET /__sim/invoice/state` (no secrets). */
  state(): Record<string, unknown> {
    return {
      issuers: [...this.issuers.values()].map((i) => ({ name: i.name, notificationUrl: i.notificationUrl })),
      invoices: [...this.invoices.values()].map((i) => ({
        id: i.id,
        issuer: i.issuer,
        reference: i.reference,
        description: i.description,
        amount: formatMinor(i.amountMinor),
        currency: i.currency,
        payOnce: i.payOnce,
        ersReference: i.ersReference,
        paidAt: formatIsoWithOffset(i.paidAt),
        notification: {
          state: this.deliveries.get(i.id)?.state ?? "none",
          attempts: i.attempts.map((a) => ({
            ...a,
            atIso: new Date(a.at).toISOString(),
            secondsAfterPayment: (a.at - i.paidAt) / 1000,
          })),
        },
      })),
    };
  }

  close(): void {
    for (const delivery of this.deliveries.values()) delivery.stop();
  }

  private startNotification(invoice: PaidInvoice): void {
    const issuer = this.issuers.get(invoice.issuer)!;
    this.deliveries.set(
      invoice.id,
      new NotificationDelivery({
        clock: this.options.clock,
        url: issuer.notificationUrl,
        invoiceId: invoice.id,
        scheduleScale: this.options.scheduleScale ?? 1,
        attemptTimeoutMs: this.options.attemptTimeoutMs ?? 10_000,
        onAttempt: (a) => invoice.attempts.push(a),
      }),
    );
  }

  /** 25 digits like the contract's example: Stockholm yyyyMMddHHmmss + an 11-digit sequence. */
  private ersReference(at: number): string {
    const stamp = formatIsoWithOffset(at).slice(0, 19).replace(/\D/g, "");
    this.ersSequence += 1;
    return stamp + String(this.ersSequence).padStart(11, "0");
  }
}
