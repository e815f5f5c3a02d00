// Whose transaction is it? A PTS-2 transaction number is not ours alone: the attendant's POS, the
// controller's web UI and card/tag readers, and our own numbers after a 65535 wrap use the same
// 1..65535 per pump. So a read-back that finds *a* transaction under our number proves nothing by
// itself; charging on that evidence charges a customer someone else's sale (review of issue 14,
// finding 1). The rules here:
//
// 1. Before the first PumpAuthorize with a number, the driver asks the controller for it
//    (`probe`): only a "not found" lets the number be sent; the record keeps `probedAt` and the
//    controller's own clock at that moment (GetDateTime, when the firmware answers it). Anything
//    found is someone else's, and the next number is tried.
// 2. A transaction read back for an authorization whose answer we never got (`authorizing`) is
//    decided on WHO authorized it: the controller reports the authorizing user (UserId, the
//    vendor SDK's PumpTransactionInformation field), and other systems (POS, web UI, readers) log
//    in as other users. It is judged against the evidence journaled when the authorization was
//    SENT (TxRecord.sentAs: the agent's id, login, and whether the controller had corroborated
//    that id — own-user.ts), never against today's config (review 4, R4-2). Same pump and number
//    (every read checks that, finding 2) and the trusted id → ours; another user → foreign: not
//    authorized, PTS_FOREIGN_TRANSACTION, never settled, never stopped. A start stamped before our
//    probe (a clock step, an early stamp) is logged, not decisive (review 4, R4-3). Nozzle, price
//    and grade are NOT ownership evidence (review 2, N3: Price 0 before the fill, a pump ignoring
//    our price): they belong to the mismatch rule (sale-figures.ts). Nor is the dose: real
//    firmwares do not report it, and an attendant preset may equal our limit (review 2, N1).
// 3. When the controller does not report UserId, or the id was not trusted when the authorization
//    was sent (not known, not yet corroborated by a confirmed authorization, contradicted by the
//    controller, shared with a POS), or is in doubt now, nothing proves the sale ours or someone
//    else's: "unknown". The flow is parked (an error, asked again) with PTS_OWNERSHIP_UNKNOWN:
//    never settled (it may be the attendant's cash sale), never cancelled (it may be our
//    customer's fuel). From then on only a technician decides (technician-verdict.ts: claim |
//    disown), whatever the config or evidence later says.
import { AgentError } from "../../base/errors.ts";
import { type TransactionInfo, decodeTransactionInformation } from "./decode-config.ts";
import { PTS_ERROR, isPtsPacketError } from "./errors.ts";
import type { PacketExchange } from "./exchange.ts";
import type { OwnUserView, UserEvidence } from "./own-user.ts";
import type { TxRecord } from "./transactions.ts";
import type { WireUnits } from "./units.ts";

/** PumpGetTransactionInformation of the record's number; undefined = the controller does not know it. */
export async function readTransaction(r: Pick<TxRecord, "pump" | "transaction">, exchange: PacketExchange, units: WireUnits): Promise<TransactionInfo | undefined> {
  let info: TransactionInfo;
  try {
    const { data } = await exchange.request("PumpGetTransactionInformation", { Pump: r.pump, Transaction: r.transaction });
    info = decodeTransactionInformation(data, units);
  } catch (err) {
    if (isPtsPacketError(err, PTS_ERROR.PUMP_TRANSACTION_NOT_FOUND)) return undefined;
    throw err;
  }
  if (info.state === "NotFound") return undefined;
  // An answer about another pump or number (firmwares answer "the last transaction" for some
  // requests) says nothing about ours: an error, asked again later, never settled.
  if (info.pump !== r.pump || info.transaction !== r.transaction) {
    throw new AgentError("DEVICE_PROTOCOL", `PumpGetTransactionInformation for pump ${r.pump} transaction ${r.transaction} answered pump ${info.pump} transaction ${info.transaction}`, {
      pump: r.pump,
      transaction: r.transaction,
      answeredPump: info.pump,
      answeredTransaction: info.transaction,
    });
  }
  return info;
}

export interface Probe {
  readonly free: boolean;
  /** Who authorized the transaction found under the number (UserId), when taken and reported. */
  readonly takenBy?: number;
  /** The controller's clock (its local "YYYY-MM-DDThh:mm:ss") when it answered, if it told. */
  readonly controllerTime?: string;
}

/** Is the number unknown to the controller? Asks its clock in the same request. */
export async function probe(r: Pick<TxRecord, "pump" | "transaction">, exchange: PacketExchange, units: WireUnits): Promise<Probe> {
  const clock = exchange.request("GetDateTime").then(
    ({ data }) => (typeof data.DateTime === "string" && parseStamp(data.DateTime) !== undefined ? data.DateTime : undefined),
    () => undefined, // older firmwares: the start-time rule is then skipped
  );
  const info = await readTransaction(r, exchange, units);
  const controllerTime = await clock;
  return { free: info === undefined, ...(info?.userId !== undefined ? { takenBy: info.userId } : {}), ...(controllerTime !== undefined ? { controllerTime } : {}) };
}

export type Ownership =
  | { readonly ours: true; /** A stamp that contradicts the probe, logged (never decisive under a trusted id). */ readonly anomaly?: string }
  | { readonly ours: false; readonly why: string }
  | { readonly ours: "unknown"; readonly why: string };

/**
 * The evidence a record is judged by (review 4, R4-2): what the driver knew when it SENT the
 * authorization (TxRecord.sentAs, journaled before PumpAuthorize), never today's config — a
 * technician who changes controllerUserId must not turn a parked sale of ours into "foreign".
 * One upgrade only: a record sent while the id was merely not yet corroborated (not in doubt) takes
 * a corroboration that came later for the SAME id and login, as long as no person was called for it
 * (the agent killed between our confirmed PumpAuthorize and its journal write). Records of older
 * drivers (no sentAs): today's evidence.
 */
export function evidenceFor(r: TxRecord, user: OwnUserView): UserEvidence {
  const now = user.evidence();
  const sent = r.sentAs;
  if (sent === undefined) return now;
  if (sent.trusted || sent.gap !== "unverified" || r.ownershipUnknownAt !== undefined) return sent;
  if (now.trusted && now.login === sent.login && (sent.userId === undefined || sent.userId === now.userId)) return now;
  return sent;
}

/**
 * Rules 2 and 3 above: is this transaction the authorization the record asked for? Decided on the
 * UserId only when the evidence the record was sent with is trusted (corroborated by the
 * controller, not in doubt) and nothing has put that id in doubt since (`doubtAbout`); otherwise
 * "unknown". A record once parked "unknown" stays so until a technician decides (`claimedAt`, or
 * disowned: refused in the book) — never "foreign" by itself.
 */
export function ownershipOf(r: TxRecord, info: TransactionInfo, user: OwnUserView): Ownership {
  const no = (why: string): Ownership => ({ ours: false, why });
  if (info.pump !== r.pump || info.transaction !== r.transaction) return no(`answer names pump ${info.pump} transaction ${info.transaction}`);
  if (r.claimedAt !== undefined) {
    // A technician checked it on the controller (ctl resolve FLOW claim) — unless the controller
    // proves it another user's (review 5, R5-2: a claim never beats a provable contradiction).
    const contra = provableContradiction(r, info, user);
    return contra === undefined ? { ours: true } : no(`${contra}, though claimed by a technician`);
  }
  if (info.userId === undefined) return { ours: "unknown", why: "the controller does not report who authorized it (no UserId)" };
  if (r.ownershipUnknownAt !== undefined) return { ours: "unknown", why: `authorized by controller user ${info.userId}; parked for a technician's decision since ${new Date(r.ownershipUnknownAt).toISOString()}` };
  const sent = evidenceFor(r, user);
  if (!sent.trusted || sent.userId === undefined) return { ours: "unknown", why: `authorized by controller user ${info.userId}, and when the agent sent it ${sent.why ?? "its own id was not known"}` };
  const doubt = user.doubtAbout(sent.userId);
  if (doubt !== undefined) return { ours: "unknown", why: `authorized by controller user ${info.userId}, and ${doubt}` };
  if (info.userId !== sent.userId) return no(`authorized by controller user ${info.userId}, the agent sent it as user ${sent.userId}`);
  // Our corroborated user, no sharing seen, on a number our probe found free: ours. A start stamped
  // before that probe (the controller's clock stepped back — NTP after a reboot — or a firmware
  // stamping the start at nozzle lift) proves nothing about anybody else: logged, not decisive
  // (review 4, R4-3; it used to park our own verified sale for good).
  const started = info.startedAt === undefined ? undefined : parseStamp(info.startedAt);
  const probed = r.controllerTimeAtProbe === undefined ? undefined : parseStamp(r.controllerTimeAtProbe);
  if (started !== undefined && probed !== undefined && started < probed) {
    return { ours: true, anomaly: `started ${info.startedAt}, before our number check found it free at ${r.controllerTimeAtProbe} (controller clock stepped back, or the start stamped at nozzle lift)` };
  }
  return { ours: true };
}

/** The UserId read back is not the trusted, undoubted id the record was sent as: a description, else undefined. */
export function provableContradiction(r: TxRecord, info: TransactionInfo, user: OwnUserView): string | undefined {
  if (info.userId === undefined) return undefined;
  const sent = evidenceFor(r, user);
  if (!sent.trusted || sent.userId === undefined || user.doubtAbout(sent.userId) !== undefined) return undefined;
  return info.userId !== sent.userId ? `authorized by controller user ${info.userId}, the agent sent it as user ${sent.userId}` : undefined;
}

/** "2024-10-30T12:00:00" (the controller's local time, no zone) → a comparable number; undefined when unreadable. */
export function parseStamp(s: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})/.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se] = m.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, se);
}
