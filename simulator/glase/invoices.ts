// Merchant operations on invoices: sendInvoice (one open invoice per cash register, §6.4),
// getPaymentStatus (version acknowledgement §6.2/A9, PAID read stops the reversal §6.3),
// updateInvoice, cancelInvoice (§6.6).
import type { CustomerToken } from "../../contracts/glase/types.ts";
import { acknowledge, acknowledgePaid, cancel, isOpen, lapseIfDue } from "./lifecycle.ts";
import type { RawInvoice, RawToken, RequestContext } from "./soap-request.ts";
import type { InvoiceRecord, SimCore, TerminalRecord } from "./state.ts";
import { authTerminal } from "./terminals.ts";
import { validateInvoice } from "./validation.ts";

export function toTokens(raw: RawToken[]): CustomerToken[] {
  return raw.map((t) => ({ description: t.description, id: t.id, status: Number.parseInt(t.status ?? "", 10) || 0, value: t.value }));
}

/** The terminal's invoice by reference, or its latest one when none is given (§9 A12); else 54. */
export function findInvoice(core: SimCore, terminal: TerminalRecord, reference: string | undefined): InvoiceRecord | undefined {
  const ref = reference?.trim() || terminal.invoiceReferences[terminal.invoiceReferences.length - 1];
  const inv = ref === undefined ? undefined : core.state.invoices.get(ref);
  return inv && inv.terminalId === terminal.terminalId ? inv : undefined;
}

export interface SendInvoiceResult {
  code: number;
  invoiceReference?: string;
  invoiceQRCode?: string;
}

export function sendInvoice(core: SimCore, ctx: RequestContext, raw: RawInvoice | undefined, tokens: RawToken[], legacyPath: boolean): SendInvoiceResult {
  const auth = authTerminal(core, ctx);
  if (!auth.ok) return { code: auth.code };
  const terminal = auth.value;
  const shop = core.state.shops.get(terminal.resellerId)!;
  const valid = validateInvoice(raw, shop.currency);
  if (!valid.ok) return { code: valid.code };

  if (terminal.cashRegister) {
    for (const ref of terminal.invoiceReferences) {
      const prev = core.state.invoices.get(ref)!;
      if (isOpen(prev)) cancel(core, prev, "superseded");
    }
  }
  const invoiceReference = core.ids.invoiceReference();
  const inv: InvoiceRecord = {
    invoiceReference,
    terminalId: terminal.terminalId,
    resellerId: terminal.resellerId,
    status: "ISSUED",
    version: 1, // the first poll of a fresh invoice answers ISSUED / version 1 (§6.2)
    paymentMode: valid.paymentMode,
    acknowledgmentMode: valid.acknowledgmentMode,
    legacyPath,
    invoice: valid.invoice,
    wireInvoice: raw!,
    currency: valid.currency,
    totalMinor: valid.totalMinor,
    reversed: false,
    paymentInProgress: false,
    merchantTokens: toTokens(tokens),
    offeredTokens: [],
    paidAcknowledged: false,
    commitCalls: 0,
    commitsAccepted: 0,
    updateCalls: 0,
    statusPolls: 0,
    createdAt: core.clock.now(),
    autoConfirmPending: false,
  };
  core.state.invoices.set(invoiceReference, inv);
  terminal.invoiceReferences.push(invoiceReference);
  core.onInvoiceCreated(inv);
  return { code: 0, invoiceReference, invoiceQRCode: `HTTP://${core.settings.qrHost}/R${invoiceReference}` };
}

export function getPaymentStatus(
  core: SimCore,
  ctx: RequestContext,
  reference: string | undefined,
  version: number,
): { code: number; invoice?: InvoiceRecord } {
  const auth = authTerminal(core, ctx);
  if (!auth.ok) return { code: auth.code };
  const inv = findInvoice(core, auth.value, reference);
  if (!inv) return { code: 54 };
  lapseIfDue(core, inv);
  inv.statusPolls++;
  // Polling with the latest version acknowledges what the merchant has seen (§9 A9).
  if (inv.status === "PENDING_ISSUER_ACKNOWLEDGE" && version === inv.version) acknowledge(core, inv);
  acknowledgePaid(core, inv);
  if (inv.status === "PAID" && inv.paidReadAt === undefined) inv.paidReadAt = core.clock.now();
  return { code: 0, invoice: inv };
}

export function updateInvoice(
  core: SimCore,
  ctx: RequestContext,
  reference: string | undefined,
  raw: RawInvoice | undefined,
  tokens: RawToken[],
): number {
  const auth = authTerminal(core, ctx);
  if (!auth.ok) return auth.code;
  const inv = findInvoice(core, auth.value, reference);
  if (!inv) return 54;
  lapseIfDue(core, inv);
  if (inv.paymentInProgress || inv.status === "PAID") return 48; // the invoice can no longer be changed
  if (!isOpen(inv)) return 49;
  const valid = validateInvoice(raw, inv.currency);
  if (!valid.ok) return valid.code;
  // Strict (§3.6: "same rules as sendInvoice"): the invoice is sent again as it was, so a changed
  // paymentMode (absent = IMMEDIATE_DEBIT) or a dropped commitReservationTimeout is invalid data.
  if (core.settings.profile === "strict" && (valid.paymentMode !== inv.paymentMode || (inv.invoice.commitReservationTimeout !== undefined && valid.invoice.commitReservationTimeout === undefined))) {
    return 49;
  }
  if (inv.status === "RESERVED") {
    // Final order lines of a reservation (prepin step 5): cannot exceed what was reserved.
    if (valid.totalMinor > inv.reservedMinor! && !core.settings.acceptHigherCommit) return 11;
    inv.invoice = { ...valid.invoice, paymentMode: inv.invoice.paymentMode, commitReservationTimeout: inv.invoice.commitReservationTimeout };
    inv.wireInvoice = { ...raw!, paymentMode: inv.wireInvoice.paymentMode, commitReservationTimeout: inv.wireInvoice.commitReservationTimeout };
  } else {
    inv.invoice = valid.invoice;
    inv.wireInvoice = raw!;
    inv.paymentMode = valid.paymentMode;
    inv.acknowledgmentMode = valid.acknowledgmentMode;
  }
  inv.totalMinor = valid.totalMinor;
  if (tokens.length) inv.merchantTokens = toTokens(tokens);
  acknowledge(core, inv);
  return 0;
}

export function cancelInvoice(core: SimCore, ctx: RequestContext, reference: string | undefined): number {
  const auth = authTerminal(core, ctx);
  if (!auth.ok) return auth.code;
  const inv = findInvoice(core, auth.value, reference);
  if (!inv) return 54;
  lapseIfDue(core, inv);
  if (inv.paymentInProgress) return 51; // §9 A15
  switch (inv.status) {
    case "PAID":
      return 50;
    case "CANCELED":
    case "EXPIRED":
    case "FAILED":
      return 95;
    default:
      cancel(core, inv, "merchant");
      return 0;
  }
}

/** unregisterTerminal: the terminal's open invoices die with it. */
export function cancelOpenInvoices(core: SimCore, terminal: TerminalRecord): void {
  for (const ref of terminal.invoiceReferences) {
    const inv = core.state.invoices.get(ref)!;
    if (isOpen(inv)) cancel(core, inv, "unregistered");
  }
}
