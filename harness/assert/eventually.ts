import type { ChangeSource, EventLog } from '../observe/event-log';
import type { ObservedEvent } from '../observe/observed-event';
import { FlowAssertionError } from './assertion-error';
import { assertDuration } from './_internals/wait';

/** A probe: a value means "done", `undefined`/`false`/`null` or a throw means "not yet". May be async. */
export type Probe<T> = () => T | undefined | false | null | Promise<T | undefined | false | null>;

export interface EventuallyOptions {
  /** Hard deadline, ms. */
  readonly within: number;
  /**
   * Re-evaluate the probe whenever this source changes (an `EventLog`): push-based, nothing runs between events.
   * Without it the probe is about state the harness cannot observe (a database) and is re-run with a backoff
   * from 1 ms to 50 ms.
   */
  readonly changes?: ChangeSource;
  /** Words for the failure message; default `probe to succeed`. */
  readonly description?: string;
  /** Deliveries to show in the failure's timeline; default: everything in `changes` when it is an EventLog. */
  readonly timeline?: () => readonly ObservedEvent[];
}

/**
 * Resolves with the probe's first value; fails with a `FlowAssertionError` (`timeout`, last probe error as
 * `cause`) when `within` passes first.
 */
export async function eventually<T>(probe: Probe<T>, options: EventuallyOptions): Promise<T> {
  assertDuration('within', options.within);
  const started = performance.now();
  const deadline = started + options.within;
  let lastError: unknown;
  let wake: (() => void) | undefined;
  const state = { changed: false };
  const unsubscribe = options.changes?.subscribe(() => {
    state.changed = true;
    wake?.();
  });
  try {
    for (let backoff = 1; ; backoff = Math.min(backoff * 2, 50)) {
      state.changed = false;
      try {
        const value = await untilDeadline(probe, deadline);
        if (value !== undefined && value !== false && value !== null) return value;
      } catch (error) {
        lastError = error;
      }
      const remaining = deadline - performance.now();
      if (remaining <= 0) break;
      if (state.changed) continue; // something arrived while the probe ran: look again now
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.changes ? remaining : Math.min(backoff, remaining));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    unsubscribe?.();
  }
  const events = options.timeline?.() ?? (isLog(options.changes) ? options.changes.all() : []);
  throw new FlowAssertionError(
    {
      code: 'timeout',
      expectation: `${options.description ?? 'probe to succeed'} within ${options.within} ms`,
      waitedMs: performance.now() - started,
      observed: lastError instanceof Error ? `last probe error: ${lastError.message}` : undefined,
      events: [...events],
    },
    { cause: lastError },
  );
}

/**
 * Runs the probe, but gives up on it at the deadline: a probe stuck on a hung database must not turn the hard
 * deadline into a hang. The abandoned attempt's late failure is ignored.
 */
async function untilDeadline<T>(probe: Probe<T>, deadline: number): Promise<T | undefined | false | null> {
  const attempt = Promise.resolve().then(probe);
  attempt.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error('the probe was still running at the deadline')),
      Math.max(0, deadline - performance.now()),
    );
  });
  try {
    return await Promise.race([attempt, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function isLog(source: ChangeSource | undefined): source is EventLog {
  return source !== undefined && 'all' in source && typeof source.all === 'function';
}
