// Time is passed in, never read from globals, so state machines and tests can drive it.
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export interface Scheduler extends Clock {
  /** Runs fn once at (or after) `delayMs` from now; returns a cancel function. */
  setTimer(delayMs: number, fn: () => void): () => void;
}
