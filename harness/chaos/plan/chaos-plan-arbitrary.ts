import fc from 'fast-check';
import type { ChaosFault, ChaosFaultKind, ChaosPlan } from './chaos-fault';

/** What a random chaos plan may contain. */
export interface ChaosPlanShape {
  readonly services: readonly string[];
  /** Kinds to draw from (default: every message fault plus `cut` at a delivery). */
  readonly kinds?: readonly ChaosFaultKind[];
  /** Highest ordinal targeted (default 7). */
  readonly maxNth?: number;
  /** Most faults (default 6). */
  readonly maxFaults?: number;
  /** Longest delay / pause / hold in ms (default 500). */
  readonly maxMs?: number;
}

const DEFAULT_KINDS: readonly ChaosFaultKind[] = [
  'delay',
  'reorder',
  'duplicate',
  'lose-ack',
  'delay-confirm',
  'nack-confirm',
  'cut',
];

/** A fast-check arbitrary of chaos plans (plain data, so it shrinks: fewer faults, earlier ordinals, shorter waits). */
export function chaosPlanArbitrary(shape: ChaosPlanShape): fc.Arbitrary<ChaosPlan> {
  const service = fc.constantFrom(...shape.services);
  const nth = fc.nat({ max: shape.maxNth ?? 7 });
  const ms = fc.integer({ min: 1, max: shape.maxMs ?? 500 });
  const kinds = shape.kinds ?? DEFAULT_KINDS;
  const byKind: Partial<Record<ChaosFaultKind, fc.Arbitrary<ChaosFault>>> = {
    delay: fc.record({ kind: fc.constant('delay' as const), service, nth, ms }),
    reorder: fc.record({
      kind: fc.constant('reorder' as const),
      service,
      nth,
      count: fc.integer({ min: 2, max: 4 }),
      maxHoldMs: ms,
    }),
    duplicate: fc.record({
      kind: fc.constant('duplicate' as const),
      service,
      nth,
      copies: fc.integer({ min: 1, max: 3 }),
      redelivered: fc.boolean(),
    }),
    pause: fc.record({ kind: fc.constant('pause' as const), service, ms }),
    'lose-ack': fc.record({
      kind: fc.constant('lose-ack' as const),
      service,
      nth,
      thenCut: fc.constant('reset' as const),
    }),
    'delay-confirm': fc.record({ kind: fc.constant('delay-confirm' as const), service, nth, ms }),
    'nack-confirm': fc.record({ kind: fc.constant('nack-confirm' as const), service, nth }),
    'drop-publish': fc.record({
      kind: fc.constant('drop-publish' as const),
      service,
      nth,
      thenCut: fc.constant('reset' as const),
    }),
    cut: fc.record({
      kind: fc.constant('cut' as const),
      service,
      how: fc.constantFrom('reset' as const, 'close' as const),
      on: fc.record({ on: fc.constant('deliver' as const), nth }),
    }),
    refuse: fc.record({ kind: fc.constant('refuse' as const), service, ms }),
  };
  const options = kinds
    .map((kind) => byKind[kind])
    .filter((a): a is fc.Arbitrary<ChaosFault> => a !== undefined);
  return fc.record({
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    faults: fc.array(fc.oneof(...options), { maxLength: shape.maxFaults ?? 6 }),
  });
}

/** The plan a seed gives for a shape: the same seed and shape always give the same plan. */
export function randomChaosPlan(seed: number, shape: ChaosPlanShape): ChaosPlan {
  const [plan] = fc.sample(chaosPlanArbitrary(shape), { seed, numRuns: 1 });
  return { ...(plan as ChaosPlan), seed };
}
