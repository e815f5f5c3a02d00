// The flow's stop of a point (DispenserController.stop) — moved out of driver.ts to keep it small.
// PumpStop is pump-wide, so only a sale of ours the pump is on is stopped (stop-gate.ts, review 5
// R5-1): a parked sale of unknown owner, or the POS's sale filling after ours, is never stopped —
// resolved without a packet. A record lost on a "not found" is still stopped while the fresh status
// shows the pump on its number (review 14t, T4: closed in our book, it was skipped, and the pump ran
// on to the full dose charged to nobody).
import type { Logger } from "../../base/log.ts";
import type { Scheduler } from "../../base/clock.ts";
import type { TransactionInfo } from "./decode-config.ts";
import type { PumpObservation } from "./decode-status.ts";
import type { ControllerNumbering } from "./numbering.ts";
import { lostButLive, provenOurs, stoppable } from "./stop-gate.ts";
import { unprovenAfterGap } from "./still-ours.ts";
import type { TransactionBook, TxRecord } from "./transactions.ts";
import type { TxFollowUps } from "./tx-follow-ups.ts";

export interface StopPointDeps {
  readonly book: TransactionBook;
  readonly scheduler: Scheduler;
  readonly log: Logger;
  readonly numbering: ControllerNumbering;
  readonly followUps: TxFollowUps;
  readonly stopTimeoutMs: number;
  readonly pollIntervalMs: number;
  lastObs(pump: number): PumpObservation | undefined;
  pollOnce(): Promise<void>;
  unreachableAt(): number;
  /** Its read-back UserId not confirmed since a request that may have met a reboot (T3). */
  unconfirmed(r: TxRecord): boolean;
  saleRecord(flowId: string): Promise<unknown>;
  /** PumpGetTransactionInformation of a record's number (ownership.ts readTransaction). */
  readTransaction(r: TxRecord): Promise<TransactionInfo | undefined>;
  closed(): boolean;
}

/** Open records of the pump that a stop concerns. */
function openToStop(book: TransactionBook, pump: number): TxRecord[] {
  return book.openOn(pump).filter((r) => (r.phase === "authorized" || r.phase === "authorizing") && r.ended === undefined);
}

/**
 * Closed as lost on a "not found", but maybe still running on the pump (stop-gate.ts lostButLive) —
 * only the pump's latest authorization of ours: once the agent authorized again on the pump, the lost
 * sale is over, and a number that comes round again (the POS's sale under it) is not touched.
 */
function lostOn(book: TransactionBook, pump: number): TxRecord[] {
  const mine = book.all().filter((r) => r.pump === pump);
  const newest = Math.max(...mine.map((r) => r.at));
  return mine.filter((r) => r.lostNotFound === true && r.ended === undefined && r.at === newest);
}

export async function stopPump(pump: number, deps: StopPointDeps): Promise<void> {
  const { book } = deps;
  let open = openToStop(book, pump);
  const lost = lostOn(book, pump);
  if (open.length === 0 && lost.length === 0) return;
  // Judged on the pump's status NOW (review 7, R7-3): a record not proven ours may be stopped only
  // while the pump is idle, and the last poll may be one interval old — the POS's customer may have
  // lifted since. A status that cannot be read fresh is not known (the gate's safe default). A lost
  // record is judged on a fresh status too: only the pump showing its number now makes it stoppable.
  let obs = deps.lastObs(pump);
  if (lost.length > 0 || open.some((r) => !provenOurs(r))) {
    const before = obs;
    await deps.pollOnce().catch(() => undefined);
    obs = deps.lastObs(pump);
    if (obs === before) obs = undefined;
    open = openToStop(book, pump);
  }
  // After a gap a reboot fits in, what waits under a record's number may be the POS's prepay (R13-3): read first.
  // After a request that may have met a reboot (no gap recorded), a sale with a read-back UserId is
  // read too (review 14t, T3: our PumpStop cut the POS's customer filling under our lost number).
  for (const r of open) if (unprovenAfterGap(r, deps.unreachableAt()) || deps.unconfirmed(r)) await deps.saleRecord(r.flowId).catch(() => undefined);
  open = openToStop(book, pump);
  // A read that proved the number another sale's lost the record (not stopped, above). One that could
  // not be done leaves our own sale stopped: withheld, it ran past the lapse and nothing could be
  // committed for it (review 14u U3) — a hidden reboot AND a failing read AND the POS on our number
  // is the residual (docs/pts2.md, "Hidden reboots").
  const live = open.filter((r) => stoppable(r, obs) || revokeAnyWaiting(r, obs, deps.numbering));
  // The flow gave these sales up, stopped or not: a parked one's 0-ml end may then be closed (R7-1).
  for (const r of open) if (!live.includes(r) && r.stopWantedAt === undefined) await book.update(r.flowId, (c) => (c.stopWantedAt === undefined ? { stopWantedAt: deps.scheduler.now() } : {}));
  if (live.length < open.length) deps.log.warn("pts_stop_withheld", { pump, withheld: open.filter((r) => !live.includes(r)).map((r) => ({ flowId: r.flowId, transaction: r.transaction, phase: r.phase, parked: r.ownershipUnknownAt !== undefined })), status: obs?.kind });
  // A lost sale's number may be the POS's now (a reboot that lost the records, then the numbers come
  // round again): stopped only if the controller still does not know the number, or knows it under
  // the UserId our sale was read back with — another UserId is the POS's customer (review 14u U5).
  const lostLive: TxRecord[] = [];
  for (const r of lostOn(book, pump).filter((x) => lostButLive(x, obs))) {
    const info = await deps.readTransaction(r).catch(() => "unread" as const);
    // (Ours: the UserId it was read back with, or the trusted id it was sent as — review final F2.)
    const ours = (id: number) => id === r.readBackUserId || (r.sentAs?.trusted === true && id === r.sentAs.userId);
    const other = info !== undefined && info !== "unread" && info.userId !== undefined && !ours(info.userId);
    if (other) deps.log.warn("pts_stop_lost_sale_withheld", { pump, flowId: r.flowId, transaction: r.transaction, userId: info.userId, ours: r.readBackUserId });
    else lostLive.push(r);
  }
  if (lostLive.length > 0) deps.log.warn("pts_stop_lost_sale", { pump, records: lostLive.map((r) => ({ flowId: r.flowId, transaction: r.transaction })), status: obs?.kind });
  if (live.length === 0 && lostLive.length === 0) return;
  for (const r of [...live, ...lostLive]) await book.update(r.flowId, (c) => ({ stopRequestedAt: c.stopRequestedAt ?? deps.scheduler.now() }));
  await deps.followUps.sendStop(pump, false, [...live, ...lostLive]);
  // Give the valve a moment: the flow reads the sale record next, which is final only once ended
  // (a pump still filling past stopTimeoutMs is emergency-stopped by the poll). A lost record never
  // ends in our book: nothing to wait for.
  const deadline = deps.scheduler.now() + Math.min(deps.stopTimeoutMs / 2, 2000);
  while (live.length > 0 && !deps.closed() && deps.scheduler.now() < deadline) {
    const stillRunning = live.some((r) => book.byFlow(r.flowId)?.ended === undefined);
    if (!stillRunning) break;
    await new Promise<void>((r) => deps.scheduler.setTimer(Math.min(100, deps.pollIntervalMs), r));
    await deps.pollOnce().catch(() => undefined);
  }
}

/**
 * On a controller that numbers authorizations itself (review 7, R7-6) the number on an idle pump
 * proves nothing: a waiting authorization under "another" number may be ours. Idle means nothing
 * fills, so the stop only revokes it — but only for a record whose authorization may be the one
 * waiting under a number it does not hold: one never answered (`authorizing`), or one confirmed
 * under a number the controller did not know right at the answer (R9-2, `unknownAtAnswer`). A
 * confirmed record holds the controller's own number: what waits under another is not its
 * authorization — after a power cut lost it, the attendant POS's prepay (review 12, R12-2; FINAL-4).
 */
function revokeAnyWaiting(r: TxRecord, obs: PumpObservation | undefined, numbering: ControllerNumbering): boolean {
  return obs?.kind === "idle" && numbering.notHonoured() !== undefined && (r.phase === "authorizing" || (r.phase === "authorized" && r.unknownAtAnswer === true));
}
