// The failure of a step the driver runs on its own — from a timer, or after a call's answer went
// out (a stop, a settlement, a cancel: each a durable write first) — has nobody awaiting it.
// Unhandled, its rejection would end the daemon (Node 20); instead it is logged and raised as
// OCPP_DRIVER_FAILED naming the step and the session. A failed write is taken back out of memory
// (SaleBook.put), so the step is asked for again by whatever asked first (the next sample for the
// limit stop, the charger's re-sent call, a timer) — and a restart takes the session up again from the store.
import type { DispenserEvent } from "../../contracts/dispenser.ts";
import type { Logger } from "../../base/log.ts";

/** A sale write that failed and the session's next write carried (sales.ts): nothing lost, but the store is failing writes — the technician must know before one is not carried. */
export function onCarriedFailure(host: { readonly log: Logger; emit(e: DispenserEvent): void }): (flow: string, err: unknown) => void {
  return (flow, err) => {
    host.log.error("ocpp_sale_write_carried", { flow, err });
    const why = err instanceof Error ? err.message : String(err);
    host.emit({ type: "fault", point: null, code: "OCPP_DRIVER_FAILED", message: `OCPP driver: a write of session ${flow} failed (${why.slice(0, 200)}); the session's next write carried it, nothing was lost — but the driver store (journal disk) is failing writes: check it` });
  };
}

export function onBackgroundFailure(host: { readonly log: Logger; emit(e: DispenserEvent): void }, step: string, transactionId: string): (err: unknown) => void {
  return (err) => {
    host.log.error("ocpp_background_failed", { step, flow: transactionId, err });
    const why = err instanceof Error ? err.message : String(err);
    host.emit({ type: "fault", point: null, code: "OCPP_DRIVER_FAILED", message: `OCPP driver: ${step} of session ${transactionId} failed (${why.slice(0, 200)}); fix the driver store (journal disk), then restart the agent so the session is taken up again from the store` });
  };
}
