// Which controller user is the agent? PumpTransactionInformation.UserId names the user who
// authorized a transaction, and it is the only evidence that tells the agent's authorization from
// the attendant's POS or the web UI under the same number (ownership.ts). The id is configured
// (`controllerUserId`) or learned once from a transaction the controller CONFIRMED to the agent
// (the PumpAuthorize answer arrived), kept in the driver store (`meta/userId`) across restarts.
// A configured id wins; a learned one that disagrees with it is logged, never used.
import type { Logger } from "../../base/log.ts";
import type { DriverStore } from "../../contracts/driver-store.ts";

const KEY = "meta/userId";

export class OwnUser {
  private learned: number | undefined;

  constructor(
    private readonly store: DriverStore,
    private readonly configured: number | undefined,
    private readonly logger: Logger,
  ) {}

  async load(): Promise<void> {
    const v = await this.store.get(KEY);
    if (typeof v === "number" && Number.isInteger(v)) this.learned = v;
  }

  /** The agent's controller user id, or undefined while nobody knows it. */
  id(): number | undefined {
    return this.configured ?? this.learned;
  }

  /** Needs a confirmed transaction's UserId to learn from? */
  wanted(): boolean {
    return this.id() === undefined;
  }

  /** The UserId of a transaction the controller confirmed to the agent. */
  async learn(userId: number | undefined): Promise<void> {
    if (userId === undefined) return;
    if (this.configured !== undefined) {
      if (userId !== this.configured) this.logger.warn("pts_user_id_differs", { configured: this.configured, confirmedTransactionUserId: userId });
      return;
    }
    if (this.learned === userId) return;
    if (this.learned !== undefined) this.logger.warn("pts_user_id_changed", { was: this.learned, now: userId });
    this.learned = userId;
    await this.store.put(KEY, userId);
  }
}
