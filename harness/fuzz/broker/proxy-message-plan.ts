import { randomChaosPlan } from '../../chaos/plan/chaos-plan-arbitrary';
import type { ChaosFault, ChaosFaultKind, ChaosPlan } from '../../chaos/plan/chaos-fault';
import { seededRandom } from '../_internals/seeded-random';

/** Longest delay / hold of a generated fault: the session's quiet period waits at least this long on top. */
export const PROXY_MESSAGE_MAX_MS = 400;

/**
 * The message faults of a broker fuzzing session routed through the chaos proxy, as a plan (plain data, printed,
 * the same for the same seed): per service, a duplicate of its real deliveries with the session's duplicate rate
 * (`probability`; the redelivered flag set or not, by the seed), plus faults at chosen ordinals drawn by
 * `randomChaosPlan` — delays, holds released out of order, duplicates and, only when the session cuts
 * connections, lost acks (a lost ack is redelivered only once the connection drops; without a cut it would just
 * stall a consumer with a small prefetch).
 */
export function proxyMessagePlan(options: {
  readonly seed: number;
  readonly services: readonly string[];
  readonly flows: number;
  readonly duplicateRate: number;
  readonly cuts: number;
}): ChaosPlan {
  const { seed, services, flows, duplicateRate, cuts } = options;
  if (services.length === 0) return { seed, faults: [] };
  const random = seededRandom(seed ^ 0x2545f491);
  const faults: ChaosFault[] = [];
  if (duplicateRate > 0) {
    for (const service of services) {
      faults.push({
        kind: 'duplicate',
        service,
        probability: duplicateRate,
        redelivered: random.chance(0.5),
      });
    }
  }
  const kinds: ChaosFaultKind[] = [
    'delay',
    'reorder',
    'duplicate',
    ...(cuts > 0 ? ['lose-ack' as const] : []),
  ];
  const drawn = randomChaosPlan(seed, {
    services,
    kinds,
    maxNth: Math.max(0, Math.min(flows - 1, 7)),
    maxFaults: Math.max(2, services.length * 2),
    maxMs: PROXY_MESSAGE_MAX_MS,
  });
  // A held batch is released after maxHoldMs at the latest: a reorder never waits for deliveries that won't come.
  faults.push(
    ...drawn.faults.map((fault) =>
      fault.kind === 'reorder' ? { ...fault, maxHoldMs: fault.maxHoldMs ?? PROXY_MESSAGE_MAX_MS } : fault,
    ),
  );
  return { seed, faults };
}
