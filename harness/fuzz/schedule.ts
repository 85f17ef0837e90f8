import fc from 'fast-check';

/**
 * One fault of a delivery schedule. `consumer` is a queue; `nth` is the nth distinct message (0-based, copies and
 * redeliveries excluded) that arrives in it. Keying faults by (queue, nth) rather than by step keeps a fault's
 * meaning stable while fast-check shrinks the others away.
 * - `duplicate`: `copies` extra copies (same body, ids and headers) are enqueued; `lag` > 0 delivers them later.
 * - `redeliver`: the handler runs, the ack is lost (crash before ack): the broker redelivers it.
 * - `crash`: the consumer crashes at the named crash point inside its processing (the target defines the points).
 * - `delay`: the message is held back behind everything with a lower delay level (reordering, late arrival).
 * - `fail`: the consumer's transaction fails `times` times on that message with a transient store error (the
 *   target calls `SimEnv.failAt`), so the runtime retries it with backoff.
 * - `cut`: the connection of the consumer that received the message is cut while it processes it: every delivery
 *   that instance holds unacked comes back redelivered, its unconfirmed publishes fail.
 * - `confirm`: the broker's answer to the `nth` publish on exchange `consumer`: `nack` (refused, not routed),
 *   `lose` (routed, the confirm never comes: the publisher's connection is cut after a timeout and the publish
 *   fails) or `delay` (confirmed `by` × 10 ms late).
 */
export type Fault =
  | {
      readonly kind: 'duplicate';
      readonly consumer: string;
      readonly nth: number;
      readonly copies: number;
      readonly lag: number;
    }
  | { readonly kind: 'redeliver'; readonly consumer: string; readonly nth: number }
  | { readonly kind: 'crash'; readonly consumer: string; readonly nth: number; readonly point: string }
  | { readonly kind: 'delay'; readonly consumer: string; readonly nth: number; readonly by: number }
  | { readonly kind: 'fail'; readonly consumer: string; readonly nth: number; readonly times: number }
  | { readonly kind: 'cut'; readonly consumer: string; readonly nth: number }
  | {
      readonly kind: 'confirm';
      /** The exchange published to. */
      readonly consumer: string;
      readonly nth: number;
      readonly outcome: 'nack' | 'lose' | 'delay';
      readonly by: number;
    };

/**
 * A delivery schedule as plain data: what goes wrong, where. No fault = FIFO, exactly-once delivery.
 * `interleave` 0 (or absent) runs one thing at a time, as a single-threaded system would; any other value seeds
 * the scheduler's choices among everything that could run next (deliveries to several instances, batches, the
 * statements of concurrent transactions, confirms), so concurrency bugs show. It shrinks towards 0.
 */
export interface Schedule {
  readonly faults: readonly Fault[];
  readonly interleave?: number;
}

/** What a schedule may contain. */
export interface ScheduleShape {
  /** Queues that may be faulted. */
  readonly consumers: readonly string[];
  /** Crash points the target can crash at; no `crash` faults without them. */
  readonly crashPoints?: readonly string[];
  /** Exchanges the target publishes to with confirms; no `confirm` faults without them. */
  readonly publishers?: readonly string[];
  /** Highest `nth` targeted (default 7). */
  readonly maxNth?: number;
  /** Most faults per schedule (default 8). */
  readonly maxFaults?: number;
  /** Most extra copies per duplicate (default 3). */
  readonly maxCopies?: number;
  /** Highest delay level (default 3). */
  readonly maxDelay?: number;
}

/**
 * A fast-check arbitrary of delivery schedules. Plain data, so it shrinks: fewer faults, earlier messages, fewer
 * copies, smaller delays.
 */
export function scheduleArbitrary(shape: ScheduleShape): fc.Arbitrary<Schedule> {
  return fc.record({
    faults: fc.array(faultArbitrary(shape, ['duplicate', 'redeliver', 'delay', 'crash']), {
      maxLength: shape.maxFaults ?? 8,
    }),
  });
}

/** One fault of the given kinds (`crash` only when the shape has crash points). */
export function faultArbitrary(shape: ScheduleShape, kinds: readonly Fault['kind'][]): fc.Arbitrary<Fault> {
  if (shape.consumers.length === 0) {
    throw new Error('scheduleArbitrary: `consumers` must name at least one queue');
  }
  const consumer = fc.constantFrom(...shape.consumers);
  const nth = fc.nat({ max: shape.maxNth ?? 7 });
  const points = shape.crashPoints ?? [];
  const arbitraries: fc.Arbitrary<Fault>[] = [];
  if (kinds.includes('duplicate')) {
    arbitraries.push(
      fc.record({
        kind: fc.constant('duplicate' as const),
        consumer,
        nth,
        copies: fc.integer({ min: 1, max: shape.maxCopies ?? 3 }),
        lag: fc.nat({ max: shape.maxDelay ?? 3 }),
      }),
    );
  }
  if (kinds.includes('redeliver'))
    arbitraries.push(fc.record({ kind: fc.constant('redeliver' as const), consumer, nth }));
  if (kinds.includes('delay')) {
    arbitraries.push(
      fc.record({
        kind: fc.constant('delay' as const),
        consumer,
        nth,
        by: fc.integer({ min: 1, max: shape.maxDelay ?? 3 }),
      }),
    );
  }
  if (kinds.includes('crash') && points.length > 0) {
    arbitraries.push(
      fc.record({ kind: fc.constant('crash' as const), consumer, nth, point: fc.constantFrom(...points) }),
    );
  }
  if (kinds.includes('fail')) {
    arbitraries.push(
      fc.record({ kind: fc.constant('fail' as const), consumer, nth, times: fc.integer({ min: 1, max: 6 }) }),
    );
  }
  if (kinds.includes('cut'))
    arbitraries.push(fc.record({ kind: fc.constant('cut' as const), consumer, nth }));
  const publishers = shape.publishers ?? [];
  if (kinds.includes('confirm') && publishers.length > 0) {
    arbitraries.push(
      fc.record({
        kind: fc.constant('confirm' as const),
        consumer: fc.constantFrom(...publishers),
        nth: fc.nat({ max: (shape.maxNth ?? 7) * 2 }),
        outcome: fc.constantFrom('nack' as const, 'lose' as const, 'delay' as const),
        by: fc.integer({ min: 1, max: 20 }),
      }),
    );
  }
  if (arbitraries.length === 0)
    throw new Error(`faultArbitrary: no fault of kinds ${kinds.join(', ')} possible`);
  return fc.oneof(...arbitraries);
}

/** The same schedule without the faults a correct at-least-once consumer must absorb (only reordering stays). */
export function cleanScheduleOf(schedule: Schedule): Schedule {
  return {
    faults: schedule.faults.filter((fault) => fault.kind === 'delay'),
    ...(schedule.interleave ? { interleave: schedule.interleave } : {}),
  };
}

/** A one-line description of a fault, for reports. */
export function describeFault(fault: Fault): string {
  const where = `${fault.consumer}#${fault.nth}`;
  switch (fault.kind) {
    case 'duplicate':
      return `duplicate ${where} ×${fault.copies}${fault.lag > 0 ? ` (copies held back ${fault.lag})` : ''}`;
    case 'redeliver':
      return `redeliver ${where} (ack lost after the handler ran)`;
    case 'crash':
      return `crash ${where} at ${fault.point}`;
    case 'delay':
      return `delay ${where} by ${fault.by}`;
    case 'fail':
      return `fail ${where} ×${fault.times} (transient store error, retried)`;
    case 'cut':
      return `cut the connection of the consumer of ${where} while it processes it`;
    case 'confirm':
      return fault.outcome === 'delay'
        ? `confirm of publish ${where} delayed ${fault.by * 10} ms`
        : fault.outcome === 'nack'
          ? `nack publish ${where} (not routed)`
          : `lose the confirm of publish ${where} (routed; the publisher's connection is cut)`;
  }
}
