// A number the agent gave up (`void`: read back "not found" after an unknown outcome) that shows
// up live on the pump. The number alone proves nothing — the attendant's POS numbers like the
// agent does (review 2, N2) — so it is read back and judged by who authorized it (ownership.ts):
// ours → `liveVerdict: "ours"` (the tracker then stops it, alarms PTS_UNOWNED_DELIVERY and closes
// it); someone else's → left alone, the record closed in our book; unprovable → the same, plus
// PTS_OWNERSHIP_UNKNOWN for a person.
import type { Logger } from "../../base/log.ts";
import type { DispenserEvent } from "../../contracts/dispenser.ts";
import type { PacketExchange } from "./exchange.ts";
import type { OwnUser } from "./own-user.ts";
import { ownershipOf, readTransaction } from "./ownership.ts";
import type { TransactionBook, TxRecord } from "./transactions.ts";
import type { WireUnits } from "./units.ts";

export interface VerifyDeps {
  readonly exchange: PacketExchange;
  readonly units: WireUnits;
  readonly book: TransactionBook;
  readonly ownUser: OwnUser;
  readonly now: () => number;
  readonly logger: Logger;
  fault(e: Extract<DispenserEvent, { type: "fault" }>): void;
}

/** The verdict written to the record, or undefined when the controller no longer knows the number. */
export async function verifyGivenUp(r: TxRecord, deps: VerifyDeps): Promise<"ours" | "foreign" | "unknown" | undefined> {
  const info = await readTransaction(r, deps.exchange, deps.units);
  if (info === undefined) return undefined;
  const own = ownershipOf(r, info, deps.ownUser);
  if (own.ours === true) {
    await deps.book.update(r.flowId, () => ({ liveVerdict: "ours" }));
    return "ours";
  }
  deps.logger.info("pts_live_number_not_ours", { pump: r.pump, transaction: r.transaction, why: own.why });
  if (own.ours === "unknown") {
    deps.fault({
      type: "fault",
      point: r.point,
      code: "PTS_OWNERSHIP_UNKNOWN",
      transactionId: r.flowId,
      message: `pump ${r.pump} transaction ${r.transaction}, an authorization the agent gave up, is live on the pump and cannot be proven ours or someone else's (${own.why}); not stopped, not charged — check who authorized it`,
    });
  }
  const verdict = own.ours === false ? "foreign" : "unknown";
  await deps.book.update(r.flowId, () => ({ liveVerdict: verdict, closedAt: deps.now() }));
  return verdict;
}
