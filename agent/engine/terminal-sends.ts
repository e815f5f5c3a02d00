// The Glase calls on one terminal that must not overlap (review 4 N of issue 9). A cash register
// holds one open invoice and every sendInvoice there cancels the one open (§6.4). A lost-send
// watch supersedes a late invoice on an idle terminal with a send of its own (yieldsToHolder,
// agent/core/send-watch.ts); a customer starting there while it is out would send too, and Glase
// may apply the customer's first — the watch's then cancels it. So, at the moment each call goes
// out (after its intent was journaled; nothing here awaits between the check and the send):
// - a yielding call is not made if a flow holds the terminal — the hold is taken when the flow is
//   attached, before any of its effects runs (engine.ts attach) — and the caller is told it was
//   withheld;
// - a flow's sendInvoice on a terminal with a yielding call still out waits for that call's answer
//   (no new yielding call can start meanwhile: the waiting flow holds the terminal). Its other
//   calls do not wait: only a sendInvoice supersedes, and a PAID must be read within 20 s.
// A yielding call whose answer was lost may still be applied later (§4.1): that is a lost send
// like any other, watched by the watch itself; nothing in one process can order it. After a
// restart nothing is out: the recovered watch treats its unanswered send as lost (send-watch.ts).

export class TerminalSends {
  /** The yielding call out on each terminal (at most one: one watch per terminal, one call at a time). */
  private readonly out = new Map<string, Promise<unknown>>();

  /** held: whether a flow that holds its point runs on the terminal. */
  constructor(private readonly held: (terminalId: string) => boolean) {}

  /** A yielding call: made at once unless a flow holds the terminal (then undefined: withheld). */
  yielding<T>(terminalId: string, call: () => Promise<T>): Promise<T> | undefined {
    if (this.held(terminalId)) return undefined;
    const p = call();
    const done = p.then(
      () => undefined,
      () => undefined,
    );
    this.out.set(terminalId, done);
    void done.then(() => {
      if (this.out.get(terminalId) === done) this.out.delete(terminalId);
    });
    return p;
  }

  /**
   * A sendInvoice of a flow on the terminal: after the yielding call still out there is answered.
   * `call` is told whether it waited: the flow's margins then count from when it went out, not from
   * when it was decided (review 6 #3: a wait of up to one call timeout ate the re-send margin).
   */
  async after<T>(terminalId: string | undefined, call: (waited: boolean) => Promise<T>): Promise<T> {
    let waited = false;
    for (let seen: Promise<unknown> | undefined; terminalId !== undefined; ) {
      const o = this.out.get(terminalId);
      if (o === undefined || o === seen) break;
      seen = o;
      waited = true;
      await o;
    }
    return call(waited);
  }
}
