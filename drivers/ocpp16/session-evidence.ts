// What the driver has observed of each running charging session, in memory only (a restart
// starts again from the next messages): the evidence an overrun verdict rests on — when the stop
// went out, when (agent clock) the last sample that grew the register was taken, the charger's
// clock offset — and the size of the last meter step, the margin of the limit stop.
import type { SessionHost } from "./session-host.ts";

export class SessionEvidence {
  /** Energy added by each session's last sample (Wh): what the next one may add again. */
  readonly lastStepWh = new Map<string, number>();
  /** When the agent last sent each session's RemoteStopTransaction, and the meter timestamp (charger clock, raw) of the last sample that grew its register. */
  readonly stopSentAt = new Map<string, number>();
  readonly grewMeterAt = new Map<string, number>();
  /**
   * Each session's charger clock offset estimate (ms, agent − charger): the least (arrival −
   * timestamp) over its StartTransaction and samples. A message arrives after it was stamped, so
   * the least one is the offset plus the shortest transit: a meter timestamp plus it is when
   * (agent clock) the sample was taken, at the latest — whatever the charger's clock says.
   */
  private readonly clockOffset = new Map<string, number>();

  constructor(private readonly host: Pick<SessionHost, "scheduler" | "stopTimeoutMs">) {}

  /** A message of the session stamped `at` (charger clock) arrived now: refine the offset estimate. */
  observeClock(transactionId: string, at: number): void {
    if (!Number.isFinite(at)) return;
    const seen = this.host.scheduler.now() - at;
    const best = this.clockOffset.get(transactionId);
    if (best === undefined || seen < best) this.clockOffset.set(transactionId, seen);
  }

  /**
   * The last sample that grew the register was taken after `since` (agent clock): its meter
   * timestamp corrected by the session's clock offset estimate, by more than a timestamp's
   * resolution (chargers often stamp whole seconds; never more than half the stop timeout, so a
   * charger that keeps charging still shows it). Never the charger's clock against the agent's.
   */
  takenAfter(transactionId: string, since: number): boolean {
    const at = this.grewMeterAt.get(transactionId);
    const offset = this.clockOffset.get(transactionId);
    if (at === undefined || offset === undefined) return false;
    return at + offset > since + Math.min(1000, this.host.stopTimeoutMs / 2);
  }

  /** The session has ended: nothing of it is needed any more. */
  forget(transactionId: string): void {
    this.lastStepWh.delete(transactionId);
    this.stopSentAt.delete(transactionId);
    this.grewMeterAt.delete(transactionId);
    this.clockOffset.delete(transactionId);
  }
}
