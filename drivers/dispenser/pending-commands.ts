// The line driver's commands in flight. Every send of a command gets a fresh tag (1..MAX_TAG,
// never one still in use), and a reply with ANY of its tags settles it: a late answer to an
// earlier attempt counts as the answer (docs/dispenser-protocol.md §4, §6).
import { AgentError } from "../../base/errors.ts";
import type { Reply } from "./protocol-replies.ts";
import { MAX_TAG, type Request, type Verb } from "./protocol.ts";

/**
 * Which commands may be re-sent after a timeout. All of them, and each for a stated reason —
 * a new command must be added here deliberately.
 */
export const RETRYABLE: Record<Verb, boolean> = {
  HELLO: true, // read-only
  STATUS: true, // read-only
  PRICES: true, // read-only
  SALE: true, // read-only
  DISPLAY: true, // sets the same text again
  STOP: true, // stopping a stopped point is OK
  AUTH: true, // same transaction id ⇒ the board answers OK without a second authorization
};

export interface Pending {
  readonly request: Request;
  readonly tags: number[];
  attempts: number;
  cancelTimer: () => void;
  resolve(reply: Reply | undefined): void;
  reject(err: AgentError): void;
}

export class PendingCommands {
  private readonly byTag = new Map<number, Pending>();
  private nextTag = 1;

  /** Counts a new attempt of `p` and files it under a fresh tag, which it returns. */
  addAttempt(p: Pending): number {
    const tag = this.allocateTag();
    p.attempts++;
    p.tags.push(tag);
    this.byTag.set(tag, p);
    return tag;
  }

  get(tag: number): Pending | undefined {
    return this.byTag.get(tag);
  }

  /** The command is answered or given up: stop its timer and free all its tags. */
  settle(p: Pending): void {
    p.cancelTimer();
    for (const t of p.tags) if (this.byTag.get(t) === p) this.byTag.delete(t);
  }

  /** Rejects every command in flight with `err` (each naming its own verb). */
  rejectAll(err: AgentError): void {
    const all = new Set(this.byTag.values());
    this.byTag.clear();
    for (const p of all) {
      p.cancelTimer();
      p.reject(new AgentError(err.code, err.message, { ...err.context, verb: p.request.verb }));
    }
  }

  private allocateTag(): number {
    for (;;) {
      const tag = this.nextTag;
      this.nextTag = this.nextTag >= MAX_TAG ? 1 : this.nextTag + 1;
      if (!this.byTag.has(tag)) return tag;
    }
  }
}
