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
// Both states are kept in the store (`meta/userMismatch`, `meta/userShared`) across restarts and
// belong to the id they were seen with: a changed id drops them.
import type { Logger } from "../../base/log.ts";
import type { DriverStore } from "../../contracts/driver-store.ts";

const KEY = "meta/userId";
const MISMATCH_KEY = "meta/userMismatch";
const SHARED_KEY = "meta/userShared";

/** What the ownership rule needs of the agent's user (ownership.ts). */
export interface OwnUserView {
  /** The agent's controller user id, or undefined while nobody knows it. */
  id(): number | undefined;
  /** Why UserId cannot be trusted as ownership evidence now, or undefined when it can. */
  distrust(): string | undefined;
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

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

export class OwnUser implements OwnUserView {
  private learned: number | undefined;
  private mismatch: Mismatch | undefined;
  private shared: Shared | undefined;

  constructor(
    private readonly store: DriverStore,
    private readonly configured: number | undefined,
    private readonly logger: Logger,
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
  }

  id(): number | undefined {
    return this.configured ?? this.learned;
  }

  distrust(): string | undefined {
    if (this.mismatch) return `the controller confirmed our own authorizations as user ${this.mismatch.confirmed}, but controllerUserId is ${this.mismatch.configured} (PTS_USER_MISMATCH)`;
    if (this.shared) return `another system authorizes as the agent's controller user ${this.shared.userId} (pump ${this.shared.pump} transaction ${this.shared.transaction}, PTS_USER_SHARED)`;
    return undefined;
  }

  /**
   * The UserId of an authorization the controller confirmed to the agent's own request. Learns the
   * id when none is known; returns the mismatch when it contradicts the configured id and that is
   * news (the caller alarms once).
   */
  async confirmed(userId: number | undefined): Promise<Mismatch | undefined> {
    if (userId === undefined) return undefined;
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
    if (this.learned === userId) return undefined;
    if (this.learned !== undefined) this.logger.warn("pts_user_id_changed", { was: this.learned, now: userId });
    this.learned = userId;
    await this.store.put(KEY, userId);
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
