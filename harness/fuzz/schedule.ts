import fc from 'fast-check';

/**
 * One fault of a delivery schedule. `consumer` is a queue; `nth` is the nth distinct message (0-based, copies and
 * redeliveries excluded) that arrives in it. Keying faults by (queue, nth) rather than by step keeps a fault's
 * meaning stable while fast-check shrinks the others away.
 * - `duplicate`: `copies` extra copies (same body, ids and headers) are enqueued; `lag` > 0 delivers them later.
 * - `redeliver`: the handler runs, the ack is lost (crash before ack): the broker redelivers it.
 * - `crash`: the consumer crashes at the named crash point inside its processing (the target defines the points).
 * - `delay`: the message is held back behind everything with a lower delay level (reordering, late arrival).
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
  | { readonly kind: 'delay'; readonly consumer: string; readonly nth: number; readonly by: number };

/** A delivery schedule as plain data: what goes wrong, where. No fault = FIFO, exactly-once delivery. */
export interface Schedule {
  readonly faults: readonly Fault[];
}

/** What a schedule may contain. */
export interface ScheduleShape {
  /** Queues that may be faulted. */
  readonly consumers: readonly string[];
  /** Crash points the target can crash at; no `crash` faults without them. */
  readonly crashPoints?: readonly string[];
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
  if (arbitraries.length === 0)
    throw new Error(`faultArbitrary: no fault of kinds ${kinds.join(', ')} possible`);
  return fc.oneof(...arbitraries);
}

/** The same schedule without the faults a correct at-least-once consumer must absorb (only reordering stays). */
export function cleanScheduleOf(schedule: Schedule): Schedule {
  return { faults: schedule.faults.filter((fault) => fault.kind === 'delay') };
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
  }
}
