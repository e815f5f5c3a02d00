// Does the controller honour the transaction number the agent asks for? The driver's idempotency
// rests on it (authorize.ts): a lost PumpAuthorize answer is resolved by reading THAT number back,
// and the stop gate (stop-gate.ts) tells our waiting authorization from someone else's by it. A
// controller that ignores PumpAuthorize.Transaction and assigns its own (the vendor SDK treats the
// field as optional; a firmware numbering from a counter shared by its pumps) confirms another
// number. Review 7 (R7-6) showed what one lost answer then does: the read-back of our number finds
// nothing, the resend is refused as a duplicate (the first send DID land, under the controller's
// number), the record is refused and closed — and our authorization waits under a number no record
// holds: the stop gate withholds the stop ("another authorization"), the next driver fuels free.
//
// So the first renumbered confirmation flags the controller (durably: `meta/numbersNotHonoured`),
// raises PTS_NUMBERS_NOT_HONOURED once, and from then on:
// - the driver refuses every new authorization on that controller (DEVICE_REJECTED,
//   PTS_NUMBERS_NOT_HONOURED) — there is no safe way to resolve a lost answer without the number;
// - a stop of a record never answered, or confirmed under a number unknown at the answer, revokes
//   whatever authorization waits on an idle pump (driver.ts), whatever its number.
// The confirmed sale that revealed it goes on under the number the controller confirmed (its answer
// arrived: it is ours). When that first answer is lost, the authorization found live on the pump
// under the controller's number and proven ours flags it the same way (live-elsewhere.ts, R8-2). The flag clears only when the technician says the controller is fixed:
// `numbersHonouredSince` in the PTS-2 configuration, later than the flag (then a restart) — and
// not later than the agent's clock (review 8, R8-3): a time in the future (a typo in the year, the
// agent's clock stepped back, a corrupt store) proves no fix and is ignored as if unset, with a
// warning; trusted, it would clear every flag raised before it, at every restart. A flag itself
// stamped in the future of the agent's clock (the clock stepped back since) is re-stamped to the
// agent's now at start-up, durably; a fix time after that clears it at a later restart (review 10
// R10-3: no time was both after it and not in the future; review 11 R11-4: clearing it with any
// past fix time let a stale numbersHonouredSince from an earlier fix erase a new flag).
import { AgentError } from "../../base/errors.ts";
import type { Logger } from "../../base/log.ts";
import type { DriverStore } from "../../contracts/driver-store.ts";

const KEY = "meta/numbersNotHonoured";

export interface NotHonoured {
  readonly pump: number;
  readonly asked: number;
  /** The number it confirmed instead; absent when it confirmed without one and then did not know ours (review 9, R9-2). */
  readonly got?: number;
  readonly at: number;
}

export class ControllerNumbering {
  private flag: NotHonoured | undefined;

  constructor(
    private readonly store: DriverStore,
    private readonly honouredSince: string | undefined,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  async load(): Promise<void> {
    const stored = (await this.store.get(KEY)) as NotHonoured | undefined;
    let fixedAt = this.honouredSince === undefined ? undefined : Date.parse(this.honouredSince);
    if (fixedAt !== undefined && !(fixedAt <= this.now())) {
      this.log.warn("pts_numbers_honoured_since_ignored", { numbersHonouredSince: this.honouredSince, now: new Date(this.now()).toISOString(), why: "in the future of the agent's clock (or unreadable): proves no fix" });
      fixedAt = undefined;
    }
    // A flag stamped ahead of the agent's clock (the clock ran fast then and was stepped back since:
    // NTP after boot) has no "after it and not in the future". Review 10 (R10-3) let any fix time
    // the clock had reached clear it — but numbersHonouredSince stays in the config after a fix, so
    // review 11 (R11-4) found a months-old fix time erasing a NEW flag at the next restart, nobody
    // having said anything about it. Now such a flag is re-stamped to now, durably, and only a fix
    // time after that clears it (set it, then restart: the time is then both after and not ahead).
    let flag = stored;
    if (flag !== undefined && flag.at > this.now()) {
      const at = this.now();
      this.log.warn("pts_numbers_flag_in_future", { flagged: flag, flaggedAt: new Date(flag.at).toISOString(), now: new Date(at).toISOString(), numbersHonouredSince: this.honouredSince, why: "the flag was stamped ahead of the agent's clock: re-stamped to now; a numbersHonouredSince after now clears it" });
      flag = { ...flag, at };
      await this.store.put(KEY, flag);
    }
    if (flag !== undefined && fixedAt !== undefined && fixedAt > flag.at) {
      this.log.warn("pts_numbers_honoured_again", { flagged: flag, numbersHonouredSince: this.honouredSince });
      await this.store.delete(KEY);
      return;
    }
    this.flag = flag;
  }

  /** The renumbered confirmation that flagged the controller, while it stands. */
  notHonoured(): NotHonoured | undefined {
    return this.flag;
  }

  /**
   * A confirmation named another number than asked — or named none, and the controller then did not
   * know ours (`got` undefined: the user check's read one round trip later, user-check.ts; review 9,
   * R9-2): flags the controller (durable when this resolves). True the first time.
   */
  async renumbered(pump: number, asked: number, got: number | undefined, at: number): Promise<boolean> {
    if (this.flag !== undefined) return false;
    this.flag = { pump, asked, ...(got !== undefined ? { got } : {}), at };
    await this.store.put(KEY, this.flag);
    return true;
  }
}

/** What the controller did with our number, for messages. */
export function renumberedAs(f: NotHonoured): string {
  return f.got !== undefined ? `as transaction ${f.got}` : "without a number, then did not know that number";
}

export function notHonouredMessage(f: NotHonoured): string {
  return `pump ${f.pump}: the controller confirmed our PumpAuthorize of transaction ${f.asked} ${renumberedAs(f)} — it assigns its own transaction numbers, so an authorization whose answer is lost could stay live under a number the agent cannot know (the next driver would fuel unpaid); the agent authorizes no more sales on this controller: update its firmware to one that honours PumpAuthorize.Transaction (and make sure nothing renumbers the agent's requests), then set numbersHonouredSince in its PTS-2 configuration to the time of the fix and systemctl restart glase-agent`;
}

/** The refusal of a new authorization on a flagged controller (driver.ts; authorize.ts once a pending check flagged it). */
export function notHonouredRefusal(f: NotHonoured, pump: number, point: number): AgentError {
  return new AgentError("DEVICE_REJECTED", `pump ${pump}: the controller does not honour the agent's transaction numbers (it confirmed ${f.asked} ${renumberedAs(f)} on pump ${f.pump}); no authorization until fixed`, { point, pump, code: "PTS_NUMBERS_NOT_HONOURED" });
}
