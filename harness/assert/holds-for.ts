import type { ChangeSource } from '../observe/event-log';
import type { ObservedEvent } from '../observe/observed-event';
import { FlowAssertionError } from './assertion-error';
import { assertDuration, window } from './_internals/wait';

/** A condition: true while it holds; a string (or a throw) says how it is violated. */
export type Condition = () => boolean | string;

export interface HoldsForOptions {
  /** Length of the window, ms. The assertion takes this long when it passes. */
  readonly during: number;
  /** Re-check on every change of this source (push), besides at the start and the end of the window. */
  readonly changes?: ChangeSource;
  /** Re-check at this period too, for state the harness cannot observe; default: only on changes. */
  readonly every?: number;
  readonly description?: string;
  /** Deliveries to show in a failure's timeline. */
  readonly timeline?: () => readonly ObservedEvent[];
}

/**
 * A real negative assertion over a window: the condition must hold at the start, after every change, and at
 * the end of `during`. Fails at the first violation (code `condition-violated`), saying when it happened.
 */
export async function holdsFor(condition: Condition, options: HoldsForOptions): Promise<void> {
  assertDuration('during', options.during);
  // setInterval would turn NaN or a negative period into a 1 ms busy loop.
  if (options.every !== undefined) assertDuration('every', options.every);
  const started = performance.now();
  let violation: { readonly reason: string; readonly at: number; readonly cause?: unknown } | undefined;
  const span = window(options.during);
  const check = (): void => {
    if (violation) return;
    let verdict: boolean | string;
    let cause: unknown;
    try {
      verdict = condition();
    } catch (error) {
      cause = error;
      verdict = error instanceof Error ? `condition threw: ${error.message}` : 'condition threw';
    }
    if (verdict === true) return;
    violation = {
      reason: typeof verdict === 'string' ? verdict : 'condition returned false',
      at: performance.now() - started,
      cause,
    };
    span.stop();
  };
  const unsubscribe = options.changes?.subscribe(check);
  const ticker = options.every === undefined ? undefined : setInterval(check, options.every);
  check();
  await span.done;
  check();
  unsubscribe?.();
  if (ticker) clearInterval(ticker);
  if (!violation) return;
  throw new FlowAssertionError(
    {
      code: 'condition-violated',
      expectation: `${options.description ?? 'condition'} to hold for ${options.during} ms`,
      waitedMs: violation.at,
      observed: `violated after ${violation.at.toFixed(0)} ms: ${violation.reason}`,
      events: [...(options.timeline?.() ?? [])],
    },
    { cause: violation.cause },
  );
}
