// Which controller user is the agent? PumpTransactionInformation.UserId names the user who
// authorized a transaction, and it is the only evidence that tells the agent's authorization from
// the attendant's POS or the web UI under the same number (ownership.ts). The id is configured
// (`controllerUserId`) or learned once from a transaction the controller CONFIRMED to the agent
// (the PumpAuthorize answer arrived), kept in the driver store (`meta/userId`) across restarts.
//
// The id is evidence only while two things hold, and the driver checks both (review 3 of issue 14):
// - R3-4: every authorization the controller confirms to OUR request carries our id. One that
//   carries another (a typo in `controllerUserId`, the controller's users table renumbered) proves
//   the configured id wrong: PTS_USER_MISMATCH, and until a confirmed authorization carries the
//   configured id again, or the technician changes `controllerUserId`, no read-back is decided on
//   UserId ("unknown": parked) — never "foreign" (that would give up our own customer's fuel).
// - R3-5: no other system authorizes as our user. A number the probe finds taken, carrying our
//   UserId, that our book has no record of is exactly that (a POS logged in with the agent's user):
//   PTS_USER_SHARED, and until the technician gives the agent a user of its own (a new
//   `controllerUserId`) no read-back is decided on UserId ("unknown": parked) — never "ours" (that
//   would charge our customer the attendant's cash sale). Station-wide: a POS user is not per pump.
// - R9-1: a confirmed authorization sent under the corroborated id that reads back ANOTHER UserId
//   (user-check.ts: our login after the controller's users were re-created, or the POS that took
//   the number) puts that id in doubt too (`meta/userContradicted`): review 9 found the sale parked
//   and PTS_USER_MISMATCH raised, but the next lost answer still judged "foreign" on the same id —
//   refused, its authorization left live (free fuel). Until a confirmed authorization carries that
//   id again, no read-back is decided on it ("unknown": parked). The contradicting id is NOT
//   learned from it (it may be the POS's user).
// Mismatch and sharing are kept in the store (`meta/userMismatch`, `meta/userShared`) across
// restarts and belong to the id they were seen with: a changed id drops them. A contradiction
// (`meta/userContradicted`) names the id it contradicted and stays until that id is confirmed
// again: records sent under it before it was seen are judged by it after a restart too.
//
// And a configured id is only a claim until the controller corroborated it (review 4, R4-1): until
// the last authorization the controller CONFIRMED to the agent's login carried that UserId
// (`meta/userVerified`: the UserId seen and the login it was seen with),
// UserId decides nothing — a wrong id would give our own fill away as "foreign", or charge our
// customer the POS's sale under our number. A learned id is corroborated by construction (it is
// learned from a confirmed authorization). What the driver knew when it sent an authorization is
// journaled in that record (`evidence()`, TxRecord.sentAs): a parked sale is judged by THAT, never
// by today's config (R4-2).
import type { Logger } from "../../base/log.ts";
import type { DriverStore } from "../../contracts/driver-store.ts";

const KEY = "meta/userId";
const MISMATCH_KEY = "meta/userMismatch";
const SHARED_KEY = "meta/userShared";
const VERIFIED_KEY = "meta/userVerified";
const CONTRADICTED_KEY = "meta/userContradicted";

/**
 * What the driver knew of its own controller user when it sent an authorization, journaled in the
 * record before PumpAuthorize leaves (TxRecord.sentAs): `trusted` only when the id was corroborated
 * by the controller and nothing put it in doubt; `why` says what was missing.
 */
export interface UserEvidence {
  readonly userId?: number;
  /** The controller login (auth.user) the agent used; absent with auth scheme "none". */
  readonly login?: string;
  readonly trusted: boolean;
  /** Why not trusted: the id unknown or never corroborated ("unverified"), or put in doubt ("doubt"). */
  readonly gap?: "unverified" | "doubt";
  readonly why?: string;
}

interface Verified {
  readonly userId: number;
  readonly login?: string;
}

/** What the ownership rule needs of the agent's user (ownership.ts). */
export interface OwnUserView {
  /** The agent's controller user id, or undefined while nobody knows it. */
  id(): number | undefined;
  /** Why UserId cannot be trusted as ownership evidence now, or undefined when it can. */
  distrust(): string | undefined;
  /** The evidence as of now (journaled into a record before its PumpAuthorize). */
  evidence(): UserEvidence;
  /** Why UserId evidence about `userId` is in doubt now (mismatch/sharing seen for that id), else undefined. */
  doubtAbout(userId: number): string | undefined;
}

interface Mismatch {
  readonly configured: number;
  readonly confirmed: number;
}
interface Shared {
  readonly userId: number;
  readonly pump: number;
  readonly transaction: number;
}
/** A confirmed authorization sent as `userId` (trusted) read back as `readBack` (review 9, R9-1). */
interface Contradicted {
  readonly userId: number;
  readonly readBack: number;
  readonly pump: number;
  readonly transaction: number;
  /** When it was seen (agent clock): only an authorization sent after it may clear it. */
  readonly at: number;
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

export class OwnUser implements OwnUserView {
  private learned: number | undefined;
  private mismatch: Mismatch | undefined;
  private shared: Shared | undefined;
  private verified: Verified | undefined;
  private contradiction: Contradicted | undefined;

  constructor(
    private readonly store: DriverStore,
    private readonly configured: number | undefined,
    private readonly logger: Logger,
    /** The login the agent uses (auth.user): a corroboration belongs to the login it was seen with. */
    private readonly login?: string,
  ) {}

  async load(): Promise<void> {
    const v = await this.store.get(KEY);
    if (isInt(v)) this.learned = v;
    const m = (await this.store.get(MISMATCH_KEY)) as Partial<Mismatch> | undefined;
    if (m && isInt(m.configured) && isInt(m.confirmed) && m.configured === this.configured) this.mismatch = { configured: m.configured, confirmed: m.confirmed };
    else if (m !== undefined) await this.store.delete(MISMATCH_KEY); // the technician changed the configured id
    const s = (await this.store.get(SHARED_KEY)) as Partial<Shared> | undefined;
    if (s && isInt(s.userId) && isInt(s.pump) && isInt(s.transaction) && s.userId === this.id()) this.shared = { userId: s.userId, pump: s.pump, transaction: s.transaction };
    else if (s !== undefined) await this.store.delete(SHARED_KEY);
    const c = (await this.store.get(CONTRADICTED_KEY)) as Partial<Contradicted> | undefined;
    if (c && isInt(c.userId) && isInt(c.readBack) && isInt(c.pump) && isInt(c.transaction) && typeof c.at === "number") this.contradiction = { userId: c.userId, readBack: c.readBack, pump: c.pump, transaction: c.transaction, at: c.at };
    const w = (await this.store.get(VERIFIED_KEY)) as Partial<Verified> | undefined;
    if (w && isInt(w.userId) && (w.login === undefined || typeof w.login === "string")) this.verified = { userId: w.userId, ...(w.login !== undefined ? { login: w.login } : {}) };
    // A store of an older driver: its learned id came from a confirmed authorization (corroborated).
    else if (this.configured === undefined && this.learned !== undefined) await this.verify(this.learned);
  }

  id(): number | undefined {
    return this.configured ?? this.learned;
  }

  distrust(): string | undefined {
    if (this.mismatch) return `the controller confirmed our own authorizations as user ${this.mismatch.confirmed}, but controllerUserId is ${this.mismatch.configured} (PTS_USER_MISMATCH)`;
    if (this.shared) return `another system authorizes as the agent's controller user ${this.shared.userId} (pump ${this.shared.pump} transaction ${this.shared.transaction}, PTS_USER_SHARED)`;
    if (this.contradiction?.userId === this.id()) return this.contradicted();
    return undefined;
  }

  private contradicted(): string {
    const c = this.contradiction!;
    return `the controller confirmed our authorization of pump ${c.pump} transaction ${c.transaction}, sent as controller user ${c.userId}, as user ${c.readBack} (PTS_USER_MISMATCH)`;
  }

  /** Has the controller corroborated the current id (the last confirmed authorization of this login carried it)? */
  isVerified(): boolean {
    const id = this.id();
    return id !== undefined && this.verified?.userId === id && this.verified.login === this.login;
  }

  evidence(): UserEvidence {
    const id = this.id();
    const login = this.login !== undefined ? { login: this.login } : {};
    if (id === undefined) return { ...login, trusted: false, gap: "unverified", why: "the agent's own controller user id is not known yet (set controllerUserId; it is also learned from the first authorization the controller confirms)" };
    const doubt = this.distrust();
    if (doubt !== undefined) return { userId: id, ...login, trusted: false, gap: "doubt", why: doubt };
    if (!this.isVerified()) {
      return { userId: id, ...login, trusted: false, gap: "unverified", why: `controllerUserId ${id} was not yet corroborated by the controller (no authorization it confirmed to the agent has carried it)` };
    }
    return { userId: id, ...login, trusted: true };
  }

  private async verify(userId: number): Promise<void> {
    if (this.verified?.userId === userId && this.verified.login === this.login) return;
    this.verified = { userId, ...(this.login !== undefined ? { login: this.login } : {}) };
    await this.store.put(VERIFIED_KEY, this.verified);
    this.logger.info("pts_user_id_verified", { userId });
  }

  doubtAbout(userId: number): string | undefined {
    if (this.mismatch?.configured === userId) return this.distrust();
    if (this.shared?.userId === userId) return `another system authorizes as controller user ${userId} (pump ${this.shared.pump} transaction ${this.shared.transaction}, PTS_USER_SHARED)`;
    if (this.contradiction?.userId === userId) return this.contradicted();
    return undefined;
  }

  /** Has a confirmed authorization contradicted `userId` (R9-1), not cleared since? */
  isContradicted(userId: number): boolean {
    return this.contradiction?.userId === userId;
  }

  /**
   * A confirmed authorization sent as `sentAs` (then trusted) reads back `readBack` (user-check.ts,
   * review 9 R9-1): `sentAs` is in doubt, durably, until a confirmed authorization carries it again.
   * Nothing is learned or corroborated from it: `readBack` may be the POS's user (R5-4).
   */
  async contradictedBy(sentAs: number, readBack: number, pump: number, transaction: number, at: number): Promise<void> {
    if (this.contradiction?.userId === sentAs && this.contradiction.readBack === readBack) return;
    this.contradiction = { userId: sentAs, readBack, pump, transaction, at };
    await this.store.put(CONTRADICTED_KEY, this.contradiction);
    this.logger.warn("pts_user_id_contradicted", { ...this.contradiction, next: "lost answers are parked, never judged on this id, until a confirmed authorization carries it again" });
  }

  /**
   * The UserId of an authorization the controller confirmed to the agent's own request. Learns the
   * id when none is known; returns the mismatch when it contradicts the configured id and that is
   * news (the caller alarms once). `sentAt`: when that authorization was sent (its probe).
   */
  async confirmed(userId: number | undefined, sentAt?: number): Promise<Mismatch | undefined> {
    if (userId === undefined) return undefined;
    if (this.contradiction?.userId === userId && sentAt !== undefined && sentAt > this.contradiction.at) {
      // The contradicted id confirmed again by an authorization sent after the contradiction (R9-1):
      // that was the POS's sale, not our login (a check of an older sale, pending, proves nothing).
      this.logger.info("pts_user_contradiction_cleared", { userId, was: this.contradiction });
      this.contradiction = undefined;
      await this.store.delete(CONTRADICTED_KEY);
    }
    // What the controller says our login is: the corroboration (a technician who then sets
    // controllerUserId to it, after PTS_USER_MISMATCH, needs no further sale to be trusted).
    await this.verify(userId);
    if (this.configured !== undefined) {
      if (userId === this.configured) {
        if (this.mismatch) {
          this.logger.info("pts_user_mismatch_cleared", { configured: this.configured });
          this.mismatch = undefined;
          await this.store.delete(MISMATCH_KEY);
        }
        return undefined;
      }
      this.logger.warn("pts_user_id_differs", { configured: this.configured, confirmedTransactionUserId: userId });
      if (this.mismatch?.confirmed === userId) return undefined;
      this.mismatch = { configured: this.configured, confirmed: userId };
      await this.store.put(MISMATCH_KEY, this.mismatch);
      return this.mismatch;
    }
    if (this.learned !== userId) {
      if (this.learned !== undefined) this.logger.warn("pts_user_id_changed", { was: this.learned, now: userId });
      this.learned = userId;
      await this.store.put(KEY, userId);
    }
    return undefined;
  }

  /**
   * The probe found a number taken: carrying our UserId with no record of ours, it proves another
   * system uses our user. Returns true when that is news (the caller alarms once).
   */
  async takenNumber(pump: number, transaction: number, userId: number | undefined, ours: boolean): Promise<boolean> {
    const me = this.id();
    if (userId === undefined || me === undefined || userId !== me || ours || this.shared) return false;
    this.shared = { userId, pump, transaction };
    await this.store.put(SHARED_KEY, this.shared);
    return true;
  }
}
