// commitReservation (§3.8, §6.7, §9 A6/A7): only a RESERVED invoice can be committed (else 96);
// the optional amount is the final amount (absent = the reserved amount); above the preliminary
// total ⇒ 11 unless `acceptHigherCommit`. The lapse timer itself lives in lifecycle.ts.
import { parseMinor } from "../../base/money.ts";
import { isAgentError } from "../../base/errors.ts";
import { findInvoice } from "./invoices.ts";
import { lapseIfDue, pay } from "./lifecycle.ts";
import type { RawAmount, RequestContext } from "./soap-request.ts";
import type { SimCore } from "./state.ts";
import { authTerminal } from "./terminals.ts";

export function commitReservation(core: SimCore, ctx: RequestContext, reference: string | undefined, amount: RawAmount | undefined): number {
  const auth = authTerminal(core, ctx);
  if (!auth.ok) return auth.code;
  // The reference is required here: committing "the current invoice" by accident would move money.
  const inv = reference?.trim() ? findInvoice(core, auth.value, reference) : undefined;
  if (!inv) return 54;
  lapseIfDue(core, inv);
  if (inv.status !== "RESERVED") return 96;
  let final = inv.reservedMinor!;
  if (amount) {
    if (!amount.value || (amount.currency && amount.currency !== inv.currency)) return 11;
    try {
      final = parseMinor(amount.value);
    } catch (e) {
      if (isAgentError(e)) return 11;
      throw e;
    }
    if (final <= 0) return 11;
    if (final > inv.reservedMinor! && !core.settings.acceptHigherCommit) return 11;
  }
  inv.commitsAccepted++;
  pay(core, inv, final, false);
  return 0;
}
