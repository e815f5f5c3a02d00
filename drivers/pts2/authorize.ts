// PumpAuthorize, exactly once. The driver picks the transaction number itself and writes the
// record (flow ↔ pump + number) before the packet leaves. The number makes the request idempotent
// at the controller: sent twice, the second is refused as a duplicate, never a second sale. So an
// answer that never came (timeout, reset, 5xx, an answer without our packet) is resolved by
// reading the transaction back (PumpGetTransactionInformation): there → authorized; "not found" →
// sent again with the same number. A number some other system already used is replaced by the next.
import { AgentError } from "../../base/errors.ts";
import type { Logger } from "../../base/log.ts";
import { decimalOfMinor, intOf } from "./decimal.ts";
import { decodeTransactionInformation } from "./decode-config.ts";
import { PTS_ERROR, isPtsPacketError, isPtsTransportError } from "./errors.ts";
import type { PacketExchange } from "./exchange.ts";
import type { TransactionBook, TxRecord } from "./transactions.ts";

export interface AuthorizePlan {
  readonly flowId: string;
  readonly point: number;
  readonly pump: number;
  readonly nozzle: number;
  readonly gradeId: string;
  readonly ptsFuelGradeId: number;
  readonly priceMinor: number;
  readonly limitMinor: number;
  /** The controller's last transaction on the pump, to start numbering after it the first time. */
  readonly lastTransaction?: number;
}

export interface AuthorizeDeps {
  readonly exchange: PacketExchange;
  readonly book: TransactionBook;
  readonly now: () => number;
  readonly logger: Logger;
  readonly minorDigits: number;
}

const MAX_SENDS = 3;
const MAX_COLLISIONS = 5;

/** "there" | "absent", or throws when the controller cannot be asked. */
async function readBack(r: TxRecord, deps: AuthorizeDeps): Promise<"there" | "absent"> {
  try {
    const { data } = await deps.exchange.request("PumpGetTransactionInformation", { Pump: r.pump, Transaction: r.transaction });
    return decodeTransactionInformation(data, deps.minorDigits).state === "NotFound" ? "absent" : "there";
  } catch (err) {
    if (isPtsPacketError(err, PTS_ERROR.PUMP_TRANSACTION_NOT_FOUND)) return "absent";
    throw err;
  }
}

const finish = (deps: AuthorizeDeps, r: TxRecord, phase: "authorized" | "refused") =>
  deps.book.update(r.flowId, () => (phase === "refused" ? { phase, closedAt: deps.now() } : { phase }));

export async function authorizeTransaction(plan: AuthorizePlan, deps: AuthorizeDeps): Promise<TxRecord> {
  const existing = deps.book.byFlow(plan.flowId);
  if (existing?.phase === "authorized") return existing;
  let record: TxRecord;
  let mayHaveLanded: boolean;
  if (existing?.phase === "authorizing" && existing.pump === plan.pump) {
    // A repeat after an unresolved attempt (agent restart, retry): resolve it first.
    record = existing;
    mayHaveLanded = true;
  } else {
    const transaction = await deps.book.allocate(plan.pump, plan.lastTransaction);
    record = await deps.book.create({ ...plan, transaction, phase: "authorizing", at: deps.now() });
    mayHaveLanded = false;
  }

  let sends = 0;
  let collisions = 0;
  for (;;) {
    if (mayHaveLanded && (await readBack(record, deps)) === "there") return finish(deps, record, "authorized");
    if (sends >= MAX_SENDS) {
      throw new AgentError("DEVICE_TIMEOUT", `PumpAuthorize of transaction ${record.transaction} on pump ${record.pump} unresolved after ${sends} sends`, { pump: record.pump, transaction: record.transaction });
    }
    sends++;
    try {
      const { data } = await deps.exchange.request("PumpAuthorize", {
        Pump: record.pump,
        Nozzle: record.nozzle,
        Type: "Amount",
        Dose: decimalOfMinor(record.limitMinor, deps.minorDigits),
        Price: decimalOfMinor(record.priceMinor, deps.minorDigits),
        Transaction: record.transaction,
        AutoCloseTransaction: false,
      });
      const confirmed = data.Transaction === undefined ? record.transaction : intOf(data.Transaction, "PumpAuthorizeConfirmation.Transaction");
      if (confirmed !== record.transaction) {
        deps.logger.warn("pts_transaction_renumbered", { pump: record.pump, asked: record.transaction, got: confirmed });
        record = await deps.book.update(record.flowId, () => ({ transaction: confirmed }));
      }
      return finish(deps, record, "authorized");
    } catch (err) {
      if (isPtsPacketError(err, PTS_ERROR.TRANSACTION_NUMBER_ALREADY_EXIST) || isPtsPacketError(err, PTS_ERROR.DUPLICATED_AUTHORIZATION_REQUEST)) {
        // Our own earlier attempt, or a number / pump someone else holds: the read-back decides.
        if (mayHaveLanded && (await readBack(record, deps)) === "there") return finish(deps, record, "authorized");
        if (isPtsPacketError(err, PTS_ERROR.DUPLICATED_AUTHORIZATION_REQUEST) || ++collisions > MAX_COLLISIONS) {
          await finish(deps, record, "refused");
          throw err;
        }
        const transaction = await deps.book.allocate(record.pump, record.transaction);
        deps.logger.info("pts_transaction_number_taken", { pump: record.pump, taken: record.transaction, next: transaction });
        record = await deps.book.update(record.flowId, () => ({ transaction }));
        mayHaveLanded = false;
        continue;
      }
      if (isPtsPacketError(err)) {
        await finish(deps, record, "refused");
        throw err;
      }
      if (isPtsTransportError(err) && !err.indefinite) {
        if (!mayHaveLanded) {
          // Never reached the controller, and no earlier attempt did either.
          await finish(deps, record, "refused");
          throw err;
        }
        throw err; // an earlier attempt may have landed and we cannot ask now: stays "authorizing"
      }
      // No usable answer: the controller may have authorized. Read back before anything else.
      deps.logger.warn("pts_authorize_unanswered", { pump: record.pump, transaction: record.transaction, err });
      mayHaveLanded = true;
    }
  }
}
