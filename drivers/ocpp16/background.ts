// The failure of a step the driver runs on its own — from a timer, or after a call's answer went
// out (a stop, a settlement, a cancel: each a durable write first) — has nobody awaiting it.
// Unhandled, its rejection would end the daemon (Node 20); instead it is logged and raised as
// OCPP_DRIVER_FAILED naming the step and the session. The step's in-memory state may already be
// ahead of the store (SaleBook.put indexes before it writes): the session is taken up again from
// the store after a restart, which is what the alarm asks for once the store is fixed.
import type { DispenserEvent } from "../../contracts/dispenser.ts";
import type { Logger } from "../../base/log.ts";

export function onBackgroundFailure(host: { readonly log: Logger; emit(e: DispenserEvent): void }, step: string, transactionId: string): (err: unknown) => void {
  return (err) => {
    host.log.error("ocpp_background_failed", { step, flow: transactionId, err });
    const why = err instanceof Error ? err.message : String(err);
    host.emit({ type: "fault", point: null, code: "OCPP_DRIVER_FAILED", message: `OCPP driver: ${step} of session ${transactionId} failed (${why.slice(0, 200)}); fix the driver store (journal disk), then restart the agent so the session is taken up again from the store` });
  };
}
