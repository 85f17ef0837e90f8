import type { ChangeSource } from '../../observe/event-log';
import type { ObservedEvent } from '../../observe/observed-event';
import { invalidArgument } from '../assertion-error';

/** Outcome of a push-based wait. */
export type WaitResult<T> =
  | { readonly ok: true; readonly value: T; readonly waitedMs: number }
  | { readonly ok: false; readonly waitedMs: number; readonly lastError: unknown };

/**
 * Evaluates `check` now and again on every change notification until it returns a value (not undefined) or
 * `within` ms pass. No polling: with a change source nothing runs between events.
 */
export function waitFor<T>(
  source: ChangeSource,
  check: (event: ObservedEvent | undefined) => T | undefined,
  within: number,
): Promise<WaitResult<T>> {
  assertDuration('within', within);
  const started = performance.now();
  return new Promise((resolve) => {
    let lastError: unknown;
    let done = false;
    let unsubscribe: () => void = () => undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (result: WaitResult<T>): void => {
      if (done) return;
      done = true;
      unsubscribe();
      if (timer) clearTimeout(timer);
      resolve(result);
    };
    const evaluate = (event: ObservedEvent | undefined): void => {
      if (done) return;
      try {
        const value = check(event);
        if (value !== undefined) finish({ ok: true, value, waitedMs: performance.now() - started });
      } catch (error) {
        lastError = error;
      }
    };
    unsubscribe = source.subscribe(evaluate);
    evaluate(undefined);
    if (!done) {
      timer = setTimeout(
        () => finish({ ok: false, waitedMs: performance.now() - started, lastError }),
        within,
      );
    }
  });
}

/**
 * Resolves true once nothing has arrived for `idleFor` ms (counted from `lastReceivedAt()`, epoch ms) or as soon
 * as `settled()` says so, false when `within` passes first. Re-armed on every change of `source`.
 */
export function waitForQuiet(
  source: ChangeSource,
  options: {
    readonly lastReceivedAt: () => number | undefined;
    readonly idleFor: number;
    readonly within: number;
    readonly settled?: () => boolean;
  },
): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    let idle: NodeJS.Timeout | undefined;
    const finish = (value: boolean): void => {
      clearTimeout(idle);
      clearTimeout(deadline);
      unsubscribe();
      resolve(value);
    };
    const check = (): void => {
      if (options.settled?.()) {
        finish(true);
        return;
      }
      clearTimeout(idle);
      const last = options.lastReceivedAt();
      const since = last === undefined ? 0 : Math.max(0, performance.timeOrigin + performance.now() - last);
      idle = setTimeout(() => finish(true), Math.max(0, options.idleFor - since));
    };
    const deadline = setTimeout(() => finish(false), options.within);
    const unsubscribe = source.subscribe(check);
    check();
  });
}

/** Resolves after `ms` unless `stop` is called (used for windows); returns the elapsed time. */
export function window(ms: number): { readonly done: Promise<number>; stop(): void } {
  const started = performance.now();
  let stop: () => void = () => undefined;
  const done = new Promise<number>((resolve) => {
    const timer = setTimeout(() => resolve(performance.now() - started), ms);
    stop = () => {
      clearTimeout(timer);
      resolve(performance.now() - started);
    };
  });
  return { done, stop: () => stop() };
}

/** Rejects negative, NaN or infinite durations with a clear message. */
export function assertDuration(name: string, ms: number): void {
  if (!Number.isFinite(ms) || ms < 0)
    throw invalidArgument(`${name} must be a finite number of ms ≥ 0, got ${ms}`);
}
