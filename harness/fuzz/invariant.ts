import type { EventIdentity } from '../events/envelope-adapter';

/** What an invariant sees after a run: the distinct events emitted, the flows started, the final state. */
export interface InvariantInput {
  /** Every distinct event (by eventId) published during the run, in publication order. */
  readonly events: readonly EventIdentity[];
  /** Business keys of the flows the workload started (e.g. order ids). */
  readonly flows: readonly string[];
  /** The target's final state (whatever its `state()` returned), when known. */
  readonly state?: unknown;
}

/** A named check over a run; returns one message per violation (empty when it holds). */
export interface Invariant {
  readonly name: string;
  check(input: InvariantInput): readonly string[];
}

/** Second stage of `atMostOne`/`exactlyOne`: name the field that groups events into flows. */
export interface PerKey {
  /** Groups by a payload field (dot path) — `orderId` — falling back to the adapter's business key. */
  per(field: string): Invariant;
}

/** Second stage of `sumOf`: the bound. */
export interface SumBound {
  /** Per business key, the sum of `path` over `type` must not exceed the sum of `otherPath` over `otherType`. */
  atMost(otherType: string, otherPath: string): PerKey;
}

type TypeList = string | readonly string[];

/**
 * A small DSL for invariants over emitted events:
 * ```ts
 * invariant.atMostOne('PaymentCompleted').per('orderId')
 * invariant.exactlyOne(['ShipmentScheduled', 'OrderCancelled']).per('orderId')   // also: every flow ends
 * invariant.sumOf('PaymentRefunded', 'amount.amountMinor').atMost('PaymentCompleted', 'amount.amountMinor').per('orderId')
 * invariant.never('PaymentCompleted', (e) => e.payload.amount.amountMinor < 0)
 * invariant.that('stock never negative', ({ state }) => ...)  // returns true, or a message / messages
 * ```
 */
export const invariant = {
  atMostOne(types: TypeList): PerKey {
    const wanted = toSet(types);
    return {
      per: (field) => ({
        name: `at most one ${label(types)} per ${field}`,
        check: ({ events }) =>
          [...countPer(events, wanted, field)]
            .filter(([, n]) => n > 1)
            .map(([key, n]) => `${field} ${key}: ${n} × ${label(types)}`),
      }),
    };
  },

  exactlyOne(types: TypeList): PerKey {
    const wanted = toSet(types);
    return {
      per: (field) => ({
        name: `exactly one ${label(types)} per ${field}`,
        check: ({ events, flows }) => {
          const counts = countPer(events, wanted, field);
          const problems: string[] = [];
          for (const key of new Set([...flows, ...counts.keys()])) {
            const n = counts.get(key) ?? 0;
            if (n !== 1)
              problems.push(`${field} ${key}: ${n} × ${label(types)}${n === 0 ? ' (flow never ended)' : ''}`);
          }
          return problems;
        },
      }),
    };
  },

  sumOf(type: string, path: string): SumBound {
    return {
      atMost: (otherType, otherPath) => ({
        per: (field) => ({
          name: `sum ${type}.${path} ≤ sum ${otherType}.${otherPath} per ${field}`,
          check: ({ events }) => {
            const left = sumPer(events, type, path, field);
            const right = sumPer(events, otherType, otherPath, field);
            return [...left]
              .filter(([key, sum]) => sum > (right.get(key) ?? 0))
              .map(([key, sum]) => `${field} ${key}: ${type} ${sum} > ${otherType} ${right.get(key) ?? 0}`);
          },
        }),
      }),
    };
  },

  never(type: string, when: (event: EventIdentity) => boolean = () => true): Invariant {
    return {
      name: `never ${type}`,
      check: ({ events }) =>
        events
          .filter((e) => e.eventType === type && when(e))
          .map((e) => `${type} ${e.eventId} (${e.businessKey ?? '?'})`),
    };
  },

  that(name: string, predicate: (input: InvariantInput) => boolean | string | readonly string[]): Invariant {
    return {
      name,
      check: (input) => {
        const result = predicate(input);
        if (result === true) return [];
        if (result === false) return [name];
        return typeof result === 'string' ? [result] : result;
      },
    };
  },
} as const;

/** Reads a dot path (`amount.amountMinor`) from a value. */
export function readPath(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function keyOf(event: EventIdentity, field: string): string {
  const fromPayload = readPath(event.payload, field);
  if (typeof fromPayload === 'string' || typeof fromPayload === 'number') return String(fromPayload);
  return event.businessKey ?? '(no key)';
}

function countPer(
  events: readonly EventIdentity[],
  types: ReadonlySet<string>,
  field: string,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of events) {
    if (!types.has(event.eventType)) continue;
    const key = keyOf(event, field);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function sumPer(
  events: readonly EventIdentity[],
  type: string,
  path: string,
  field: string,
): Map<string, number> {
  const sums = new Map<string, number>();
  for (const event of events) {
    if (event.eventType !== type) continue;
    const value = readPath(event.payload, path);
    if (typeof value !== 'number') continue;
    const key = keyOf(event, field);
    sums.set(key, (sums.get(key) ?? 0) + value);
  }
  return sums;
}

function toSet(types: TypeList): ReadonlySet<string> {
  return new Set(typeof types === 'string' ? [types] : types);
}

function label(types: TypeList): string {
  return typeof types === 'string' ? types : types.join('|');
}
