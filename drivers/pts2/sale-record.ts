// What the controller remembers of a flow's transaction (PumpGetTransactionInformation), as the
// flows' SaleRecord (and, at the end, a point's status as the last poll saw it) — the question a restarted agent, or a flow that lost the link, asks before it
// settles. A record is "finished" only when the controller says the transaction ended; while a
// transaction we asked to stop still runs, or its pump is offline, the figures are not final and
// the answer is an error (the flow asks again), never a premature settlement.
import { AgentError } from "../../base/errors.ts";
import type { PointStatus, SaleRecord } from "../../contracts/dispenser.ts";
import { type TransactionInfo, decodeTransactionInformation } from "./decode-config.ts";
import type { PumpObservation } from "./decode-status.ts";
import { PTS_ERROR, isPtsPacketError } from "./errors.ts";
import type { PacketExchange } from "./exchange.ts";
import { endedFigures } from "./pump-tracker.ts";
import type { EndedFigures, TransactionBook, TxRecord } from "./transactions.ts";

export interface SaleRecordDeps {
  readonly book: TransactionBook;
  readonly exchange: PacketExchange;
  readonly minorDigits: number;
  readonly now: () => number;
  pumpOffline(pump: number): boolean;
  gradeOfFuelGrade(ptsFuelGradeId: number): string | undefined;
  resendStop(r: TxRecord): Promise<void>;
  /** Writes the end figures (once) and tells the flows. */
  ended(r: TxRecord, figures: EndedFigures): Promise<TxRecord>;
}

function finished(r: TxRecord, f: EndedFigures, gradeOf: (id: number) => string | undefined): SaleRecord {
  return {
    transactionId: r.flowId,
    point: r.point,
    state: "finished",
    gradeId: gradeOf(f.ptsFuelGradeId) ?? r.gradeId,
    milli: f.milli,
    amountMinor: f.amountMinor,
    unitPriceMinor: f.priceMinor,
    limitMinor: r.limitMinor,
    reason: f.reason,
  };
}

async function read(r: TxRecord, deps: SaleRecordDeps): Promise<TransactionInfo | undefined> {
  try {
    const { data } = await deps.exchange.request("PumpGetTransactionInformation", { Pump: r.pump, Transaction: r.transaction });
    const info = decodeTransactionInformation(data, deps.minorDigits);
    return info.state === "NotFound" ? undefined : info;
  } catch (err) {
    if (isPtsPacketError(err, PTS_ERROR.PUMP_TRANSACTION_NOT_FOUND)) return undefined;
    throw err;
  }
}

export async function saleRecordOf(flowId: string, deps: SaleRecordDeps): Promise<SaleRecord | undefined> {
  let r = deps.book.byFlow(flowId);
  if (!r || r.phase === "refused" || r.phase === "void") return undefined;
  if (r.ended) return finished(r, r.ended, deps.gradeOfFuelGrade);

  const info = await read(r, deps);
  // Decided on the record as it is now (another read may have resolved it meanwhile), atomically.
  const resolve = (phase: "authorized" | "void") => deps.book.update(flowId, (c) => (c.phase === "authorizing" ? { phase } : {}));
  if (info === undefined) {
    // An unanswered PumpAuthorize that never arrived: "void", and stopped should it ever show up.
    r = await resolve("void");
    if (r.phase === "void" || r.phase === "refused") return undefined;
    throw new AgentError("DEVICE_PROTOCOL", `controller has no transaction ${r.transaction} on pump ${r.pump} although it confirmed it`, { flowId, pump: r.pump, transaction: r.transaction });
  }
  r = await resolve("authorized");
  if (r.phase === "void" || r.phase === "refused") return undefined; // the tracker stops it
  if (r.ended) return finished(r, r.ended, deps.gradeOfFuelGrade);
  const base = { transactionId: r.flowId, point: r.point, limitMinor: r.limitMinor };

  switch (info.state) {
    case "WaitingNozzleUpForAuthorization":
    case "Authorized":
      if (r.stopRequestedAt !== undefined) {
        await deps.resendStop(r);
        throw new AgentError("DEVICE_TIMEOUT", `transaction ${r.transaction} on pump ${r.pump} still authorized after the stop`, { flowId });
      }
      return { ...base, state: "authorized", gradeId: r.gradeId, milli: 0, amountMinor: 0, unitPriceMinor: r.priceMinor };
    case "Filling":
      if (r.stopRequestedAt !== undefined) {
        await deps.resendStop(r);
        throw new AgentError("DEVICE_TIMEOUT", `transaction ${r.transaction} on pump ${r.pump} still filling after the stop`, { flowId });
      }
      if (deps.pumpOffline(r.pump)) {
        throw new AgentError("DEVICE_DISCONNECTED", `pump ${r.pump} is offline mid-fill: its figures are not final`, { flowId });
      }
      return {
        ...base,
        state: "delivering",
        gradeId: (info.fuelGradeId !== undefined ? deps.gradeOfFuelGrade(info.fuelGradeId) : undefined) ?? r.gradeId,
        milli: info.milli,
        amountMinor: info.amountMinor,
        unitPriceMinor: info.priceMinor ?? r.priceMinor,
      };
    case "EndOfTransaction":
    case "Finished": {
      const figures = endedFigures(
        r,
        {
          transaction: r.transaction,
          nozzle: info.nozzle ?? r.nozzle,
          fuelGradeId: info.fuelGradeId ?? r.ptsFuelGradeId,
          milli: info.milli,
          amountMinor: info.amountMinor,
          priceMinor: info.priceMinor ?? r.priceMinor,
        },
        deps.now(),
      );
      const rec = await deps.ended(r, figures);
      return finished(rec, rec.ended ?? figures, deps.gradeOfFuelGrade);
    }
    case "NotFound":
      return undefined;
  }
}

/** A point's state from the last status the poll saw (offline while the link is down). */
export function pointStatusOf(point: number, obs: PumpObservation | undefined, linkUp: boolean, book: TransactionBook): PointStatus {
  if (!obs || !linkUp || obs.kind === "offline") return { point, state: "offline", nozzleUp: false };
  if (obs.kind === "filling" || obs.kind === "end") {
    const r = book.byPumpTransaction(obs.pump, obs.transaction);
    return { point, state: obs.kind === "filling" ? "delivering" : "finished", nozzleUp: true, ...(r ? { transactionId: r.flowId } : {}), milli: obs.milli, amountMinor: obs.amountMinor };
  }
  const nozzleUp = obs.kind === "idle" && obs.nozzleUp > 0;
  const live = book.openOn(obs.pump).find((r) => r.phase === "authorized" && r.ended === undefined);
  if (live) return { point, state: "authorized", nozzleUp, transactionId: live.flowId };
  return { point, state: nozzleUp ? "calling" : "idle", nozzleUp };
}
