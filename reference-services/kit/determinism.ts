import { newEventId } from '../../harness/events/event-id';

/** The current time. Injected so the fuzz simulator runs on virtual time. */
export type Clock = () => Date;

/** A new unique id (uuid). Injected so the same seed gives the same ids. */
export type IdGenerator = () => string;

/** Wall-clock time. */
export const systemClock: Clock = () => new Date();

/** Random uuid v7 ids. */
export const randomIds: IdGenerator = newEventId;

/**
 * Deterministic, valid uuid v7-shaped ids from a seed: the same seed gives the same sequence. The time field
 * counts up from `epochMs` so ids still sort in creation order.
 */
export function seededIds(seed: number, epochMs = Date.UTC(2026, 0, 1)): IdGenerator {
  let counter = 0;
  // A small xorshift so two seeds give unrelated sequences; no Math.random.
  let state = seed >>> 0 || 0x9e3779b9;
  const next32 = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  const hex = (value: number, width: number): string => value.toString(16).padStart(width, '0').slice(-width);
  return () => {
    counter += 1;
    const ms = epochMs + counter;
    const time = hex(Math.floor(ms / 0x10000), 8) + hex(ms % 0x10000, 4);
    const a = next32();
    const b = next32();
    return (
      `${time.slice(0, 8)}-${time.slice(8, 12)}-7${hex(a >>> 20, 3)}-` +
      `${hex(0x8 | ((a >>> 18) & 0x3), 1)}${hex((a >>> 6) & 0xfff, 3)}-${hex(b, 8)}${hex(counter & 0xffff, 4)}`
    );
  };
}

/** A clock that only moves when told to: for the simulator and tests. */
export interface ManualClock {
  readonly now: Clock;
  advance(ms: number): void;
}

/** Creates a manual clock starting at `startMs`. */
export function manualClock(startMs = Date.UTC(2026, 0, 1)): ManualClock {
  let current = startMs;
  return {
    now: () => new Date(current),
    advance(ms) {
      current += ms;
    },
  };
}
