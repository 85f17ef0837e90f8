/** An opaque timer handle. */
export type TimerHandle = unknown;

/**
 * The timers the runtime and the relay use (retry backoff, batch flushes, polls). Injected so the deterministic
 * simulator runs them in virtual time: a 2 s backoff costs nothing and happens at a seeded point of the schedule.
 */
export interface Timers {
  /** Calls `fn` after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** Calls `fn` on a later turn, after what is running now (`setImmediate`). */
  defer(fn: () => void): void;
}

/** The process's real timers. */
export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  defer: (fn) => {
    setImmediate(fn);
  },
};
