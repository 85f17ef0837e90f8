import type { EventLog } from '../observe/event-log';
import { FlowAssertionError } from './assertion-error';
import { assertDuration } from './_internals/wait';

export interface LogQuiescentOptions {
  /** Quiet once nothing arrived in the log for this long, ms. */
  readonly idleFor: number;
  /** Hard deadline, ms. */
  readonly within: number;
}

/**
 * Resolves once the whole log has been idle for `idleFor` ms (measured from its last delivery); fails with
 * `not-quiescent` when deliveries keep arriving until `within`. For one flow use `flow(…).quiescent(…)`.
 */
export async function quiescent(log: EventLog, options: LogQuiescentOptions): Promise<void> {
  assertDuration('idleFor', options.idleFor);
  assertDuration('within', options.within);
  const started = performance.now();
  const quiet = await new Promise<boolean>((resolve) => {
    let idle: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(idle);
      const last = log.all().at(-1)?.receivedAt;
      const since = last === undefined ? 0 : Math.max(0, performance.timeOrigin + performance.now() - last);
      idle = setTimeout(() => finish(true), Math.max(0, options.idleFor - since));
    };
    const finish = (value: boolean): void => {
      clearTimeout(idle);
      clearTimeout(deadline);
      unsubscribe();
      resolve(value);
    };
    const deadline = setTimeout(() => finish(false), options.within);
    const unsubscribe = log.subscribe(arm);
    arm();
  });
  if (quiet) return;
  throw new FlowAssertionError({
    code: 'not-quiescent',
    expectation: `the log to become quiet (idle ${options.idleFor} ms) within ${options.within} ms`,
    waitedMs: performance.now() - started,
    observed: `${log.size} deliveries, still arriving`,
    events: [...log.all()],
  });
}
