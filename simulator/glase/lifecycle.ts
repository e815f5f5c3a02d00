// Invoice state transitions of contract §6.1, shared by the merchant operations and the customer
// side: every transition bumps the version (§6.2); PAID creates the payment record and starts
// the 20-s reversal timer (§6.3); RESERVED starts the reservation lapse timer (§6.7).
import { apiLevelAtLeast, type CancelReason, type InvoiceRecord, type SimCore } from "./state.ts";

/** ISSUED / PENDING_ISSUER_ACKNOWLEDGE / RESERVED: not finished, cancelable. */
export function isOpen(inv: InvoiceRecord): boolean {
  return inv.status === "ISSUED" || inv.status === "PENDING_ISSUER_ACKNOWLEDGE" || inv.status === "RESERVED";
}

function finish(core: SimCore, inv: InvoiceRecord): void {
  core.clearInvoiceTimer(inv, "reservation");
  core.clearInvoiceTimer(inv, "auto");
  inv.paymentInProgress = false;
  inv.autoConfirmPending = false;
  inv.finishedAt = core.clock.now();
}

export function cancel(core: SimCore, inv: InvoiceRecord, reason: CancelReason): void {
  finish(core, inv);
  inv.status = "CANCELED";
  inv.cancelReason = reason;
  core.bump(inv);
}

export function fail(core: SimCore, inv: InvoiceRecord): void {
  finish(core, inv);
  inv.status = "FAILED";
  core.bump(inv);
}

/**
 * Takes `amountMinor` from the customer: PAID with a new ersReference and payment record.
 * `reversible`: a POS payment confirmed by the customer must be read within the ack window,
 * else it is reversed (§6.3). A commit is itself the merchant's acknowledgement, so commits are
 * not reversed.
 */
export function pay(core: SimCore, inv: InvoiceRecord, amountMinor: number, reversible: boolean): void {
  // Strict (§6.3's simulator rule reads "after an invoice becomes PAID"): a commit's PAID must be read in time too.
  if (core.settings.profile === "strict") reversible = true;
  finish(core, inv);
  const now = core.clock.now();
  const ersReference = core.ids.transactionReference();
  inv.status = "PAID";
  inv.paidMinor = amountMinor;
  inv.ersReference = ersReference;
  inv.paidAt = now;
  inv.paidAcknowledged = !reversible;
  core.state.payments.set(ersReference, {
    ersReference,
    invoiceReference: inv.invoiceReference,
    terminalId: inv.terminalId,
    resellerId: inv.resellerId,
    amountMinor,
    currency: inv.currency,
    cashierId: inv.invoice.cashierId,
    paidAt: now,
    reversed: false,
    refundedMinor: 0,
    receipts: [],
  });
  core.bump(inv);
  if (reversible && core.settings.ackTimeoutSeconds > 0) {
    core.setInvoiceTimer(inv, "reversal", core.settings.ackTimeoutSeconds * 1000, () => reverse(core, inv));
  }
  core.onPaid(inv);
}

/** PAID not read in time: the server assumes the POS never learned of it (§6.3, §9 A10). */
function reverse(core: SimCore, inv: InvoiceRecord): void {
  if (inv.status !== "PAID" || inv.paidAcknowledged) return;
  const payment = inv.ersReference ? core.state.payments.get(inv.ersReference) : undefined;
  if (payment) payment.reversed = true;
  inv.reversed = true;
  inv.status = "CANCELED";
  inv.cancelReason = "reversed";
  inv.finishedAt = core.clock.now();
  core.bump(inv);
}

/** A successful poll by the owning terminal: the POS has seen PAID. */
export function acknowledgePaid(core: SimCore, inv: InvoiceRecord): void {
  if (inv.status === "PAID" && !inv.paidAcknowledged) {
    inv.paidAcknowledged = true;
    core.clearInvoiceTimer(inv, "reversal");
  }
}

export function reserve(core: SimCore, inv: InvoiceRecord): void {
  core.clearInvoiceTimer(inv, "auto");
  inv.paymentInProgress = false;
  inv.status = "RESERVED";
  inv.reservedMinor = inv.totalMinor;
  inv.reservedAt = core.clock.now();
  core.bump(inv);
  const lapsesAt = lapseTime(core, inv);
  core.setInvoiceTimer(inv, "reservation", Math.max(0, lapsesAt - core.clock.now()), () => lapse(core, inv));
}

/**
 * When a reservation lapses. Default: commitReservationTimeout after the customer reserved. Strict
 * (§6.7 does not say from when it counts; the earliest reading): after the invoice was created.
 */
export function lapseTime(core: SimCore, inv: InvoiceRecord): number {
  const seconds = inv.invoice.commitReservationTimeout || core.settings.defaultReservationTimeoutSeconds;
  const from = core.settings.profile === "strict" ? inv.createdAt : (inv.reservedAt ?? inv.createdAt);
  return from + seconds * 1000;
}

/** Strict: a lapse is due at its instant, even if the timer has not fired yet (checked on every request). */
export function lapseIfDue(core: SimCore, inv: InvoiceRecord): void {
  if (core.settings.profile === "strict" && inv.status === "RESERVED" && core.clock.now() >= lapseTime(core, inv)) lapse(core, inv);
}

/** commitReservationTimeout elapsed: no money moves; CANCELED, or EXPIRED from API 2.10 (§9 A5/A7). */
function lapse(core: SimCore, inv: InvoiceRecord): void {
  if (inv.status !== "RESERVED") return;
  if (apiLevelAtLeast(core.settings.apiLevel, 2, 10)) {
    finish(core, inv);
    inv.status = "EXPIRED";
    core.bump(inv);
  } else {
    cancel(core, inv, "reservation-lapsed");
  }
}

/** Whether the customer must wait for the merchant after scanning (§6.10, §9 A8). */
export function needsAcknowledgement(inv: InvoiceRecord, customerHasTokens: boolean): boolean {
  switch (inv.acknowledgmentMode) {
    case "NO_ACKNOWLEDGMENT":
      return false;
    case "OPTIONAL_ACKNOWLEDGMENT":
      return customerHasTokens;
    case "REQUIRE_ACKNOWLEDGMENT":
      // The legacy extclientproxy path did not wait for the merchant (FAQ): REQUIRE acts as OPTIONAL there.
      return inv.legacyPath ? customerHasTokens : true;
  }
}

/** PENDING_ISSUER_ACKNOWLEDGE → ISSUED: the customer sees the (updated) amount (§9 A9). */
export function acknowledge(core: SimCore, inv: InvoiceRecord): void {
  if (inv.status !== "PENDING_ISSUER_ACKNOWLEDGE") return;
  inv.status = "ISSUED";
  core.bump(inv);
  core.onAcknowledged(inv);
}
