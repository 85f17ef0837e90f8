import type { EventLog } from '../observe/event-log';
import { FlowAssertionError } from './assertion-error';
import { assertDuration, waitForQuiet } from './_internals/wait';

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
  const quiet = await waitForQuiet(log, {
    lastReceivedAt: () => log.all().at(-1)?.receivedAt,
    idleFor: options.idleFor,
    within: options.within,
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
