// The customer's side (the phone app the simulator stands in for, §10): scan, confirm (optionally
// held in "payment in progress"), settle, cancel, fail — and the auto customer that does
// scan + confirm by itself after a delay of simulator time.
import { AgentError } from "../../base/errors.ts";
import type { CustomerToken } from "../../contracts/glase/types.ts";
import { cancel, fail, needsAcknowledgement, pay, reserve } from "./lifecycle.ts";
import type { InvoiceRecord, SimCore } from "./state.ts";

export interface ScanInput {
  seqrId?: string;
  invoiceReference?: string;
  /** Loyalty tokens of the customer, offered to the merchant with status 0. */
  tokens?: { id: string; value?: string; description?: string }[];
}

export interface InvoiceSummary {
  invoiceReference: string;
  status: string;
  version: number;
  paymentInProgress: boolean;
  ersReference?: string;
}

export function summary(inv: InvoiceRecord): InvoiceSummary {
  return {
    invoiceReference: inv.invoiceReference,
    status: inv.status,
    version: inv.version,
    paymentInProgress: inv.paymentInProgress,
    ...(inv.ersReference ? { ersReference: inv.ersReference } : {}),
  };
}

function byReference(core: SimCore, reference: string | undefined): InvoiceRecord {
  if (typeof reference !== "string" || reference === "") throw new AgentError("INPUT_INVALID", "invoiceReference is required");
  const inv = core.state.invoices.get(reference);
  if (!inv) throw new AgentError("NOT_FOUND", `no invoice ${reference}`, { invoiceReference: reference });
  return inv;
}

/** The sticker names a terminal; the customer reaches its current (latest open) invoice. */
function bySeqrId(core: SimCore, seqrId: string): InvoiceRecord {
  const terminal = [...core.state.terminals.values()].find((t) => t.registered && t.seqrId === seqrId);
  if (!terminal) throw new AgentError("NOT_FOUND", `no terminal has seqrId ${seqrId}`, { seqrId });
  const ref = terminal.invoiceReferences[terminal.invoiceReferences.length - 1];
  const inv = ref ? core.state.invoices.get(ref) : undefined;
  if (!inv || inv.status !== "ISSUED") throw new AgentError("NOT_FOUND", `terminal with seqrId ${seqrId} has no open invoice`, { seqrId });
  return inv;
}

function conflict(inv: InvoiceRecord, action: string): AgentError {
  return new AgentError("CONFLICT", `cannot ${action} invoice ${inv.invoiceReference} in status ${inv.status}${inv.paymentInProgress ? " (payment in progress)" : ""}`, { ...summary(inv) });
}

function scanInvoice(core: SimCore, inv: InvoiceRecord, tokens: ScanInput["tokens"] = []): void {
  if (!Array.isArray(tokens)) throw new AgentError("INPUT_INVALID", "tokens must be a list of {id, value?, description?}");
  if (inv.status !== "ISSUED" || inv.paymentInProgress) throw conflict(inv, "scan");
  for (const t of tokens) {
    if (typeof t?.id !== "string" || t.id === "") throw new AgentError("INPUT_INVALID", "every token needs an id");
    if (core.tokenIds.size && !core.tokenIds.has(t.id)) throw new AgentError("INPUT_INVALID", `token id ${t.id} is not provisioned`, { id: t.id });
  }
  const firstScan = inv.customer === undefined;
  inv.customer ??= { payerTerminalId: core.ids.payerTerminalId(), scannedAt: core.clock.now() };
  const offered: CustomerToken[] = tokens.map((t) => ({ description: t.description, id: t.id, status: 0, value: t.value }));
  inv.offeredTokens.push(...offered);
  // The merchant is asked again only for something new: a first identification or new tokens.
  if ((firstScan || offered.length > 0) && needsAcknowledgement(inv, inv.offeredTokens.length > 0)) {
    inv.status = "PENDING_ISSUER_ACKNOWLEDGE";
    core.bump(inv);
  } else if (offered.length) {
    core.bump(inv); // a new token offered is a change too (§6.2)
  }
}

export function customerScan(core: SimCore, input: ScanInput): InvoiceSummary {
  if (input.seqrId !== undefined && typeof input.seqrId !== "string") throw new AgentError("INPUT_INVALID", "seqrId must be a string");
  const inv = input.invoiceReference ? byReference(core, input.invoiceReference) : input.seqrId ? bySeqrId(core, input.seqrId) : undefined;
  if (!inv) throw new AgentError("INPUT_INVALID", "customer scan needs seqrId or invoiceReference");
  scanInvoice(core, inv, input.tokens);
  return summary(inv);
}

function settle(core: SimCore, inv: InvoiceRecord): void {
  if (inv.paymentMode === "IMMEDIATE_DEBIT") pay(core, inv, inv.totalMinor, true);
  else reserve(core, inv);
}

/**
 * The customer approves with PIN. Scans first when nobody scanned yet. `hold` leaves the invoice
 * in "payment in progress" (cancel ⇒ 51, update ⇒ 48) until customerSettle or customerFail.
 */
export function customerConfirm(core: SimCore, input: { invoiceReference?: string; hold?: boolean }): InvoiceSummary {
  const inv = byReference(core, input.invoiceReference);
  if (inv.status === "ISSUED" && !inv.customer) scanInvoice(core, inv);
  if (inv.status !== "ISSUED" || inv.paymentInProgress) throw conflict(inv, "confirm");
  if (input.hold) inv.paymentInProgress = true;
  else settle(core, inv);
  return summary(inv);
}

export function customerSettle(core: SimCore, input: { invoiceReference?: string }): InvoiceSummary {
  const inv = byReference(core, input.invoiceReference);
  if (!inv.paymentInProgress) throw conflict(inv, "settle");
  settle(core, inv);
  return summary(inv);
}

export function customerCancel(core: SimCore, input: { invoiceReference?: string }): InvoiceSummary {
  const inv = byReference(core, input.invoiceReference);
  if (inv.status !== "ISSUED" && inv.status !== "PENDING_ISSUER_ACKNOWLEDGE") throw conflict(inv, "cancel");
  cancel(core, inv, "customer");
  return summary(inv);
}

export function customerFail(core: SimCore, input: { invoiceReference?: string }): InvoiceSummary {
  const inv = byReference(core, input.invoiceReference);
  if (inv.status !== "ISSUED" && inv.status !== "PENDING_ISSUER_ACKNOWLEDGE") throw conflict(inv, "fail");
  fail(core, inv);
  return summary(inv);
}

// ---- auto customer ----

export function autoCustomerApplies(core: SimCore, inv: InvoiceRecord): boolean {
  const auto = core.settings.autoCustomer;
  return auto.enabled && (!auto.terminals || auto.terminals.includes(inv.terminalId));
}

export function scheduleAutoCustomer(core: SimCore, inv: InvoiceRecord): void {
  core.setInvoiceTimer(inv, "auto", core.settings.autoCustomer.confirmAfterMs, () => autoStep(core, inv));
}

/** Scan, then confirm; when the merchant must acknowledge first, wait for it (onAcknowledged). */
function autoStep(core: SimCore, inv: InvoiceRecord): void {
  if (inv.paymentInProgress) return;
  if (inv.status === "ISSUED" && !inv.customer) scanInvoice(core, inv);
  if (inv.status === "PENDING_ISSUER_ACKNOWLEDGE") {
    inv.autoConfirmPending = true;
    return;
  }
  if (inv.status === "ISSUED") settle(core, inv);
}

export function autoAfterAcknowledgement(core: SimCore, inv: InvoiceRecord): void {
  if (!inv.autoConfirmPending) return;
  inv.autoConfirmPending = false;
  scheduleAutoCustomer(core, inv);
}
