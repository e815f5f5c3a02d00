// Glase as review 4 P assumed it may be: payment receipts without clientInvoiceId (optional in
// §4.7). Wraps the real client so every getPaymentStatus answer drops it — the lost-send watch's
// tests of PAIDs whose origin it must work out by other means.
import type { GlaseApi } from "../../../contracts/glase/types.ts";

export function noClientInvoiceId(g: GlaseApi): GlaseApi {
  return new Proxy(g, {
    get(target, prop, recv) {
      if (prop !== "getPaymentStatus") return Reflect.get(target, prop, recv);
      return async (...args: Parameters<GlaseApi["getPaymentStatus"]>) => {
        const res = await target.getPaymentStatus(...args);
        return res.receipt ? { ...res, receipt: { ...res.receipt, clientInvoiceId: undefined } } : res;
      };
    },
  });
}
