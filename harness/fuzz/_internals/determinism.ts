/**
 * Deterministic uuid-shaped ids: valid uuid v7 layout (version 7, RFC variant), counting up, so the same run gives
 * the same ids and they still sort in creation order.
 */
export function deterministicIds(): () => string {
  let counter = 0;
  return () => {
    counter++;
    return `${GENERATED_ID_PREFIX}${counter.toString(16).padStart(12, '0')}`;
  };
}

/** Every id `deterministicIds` makes starts with this: what normalisation blanks. */
export const GENERATED_ID_PREFIX = '0190a000-0000-7000-8000-';

/** Virtual time starts here (2026-01-01T00:00:00Z); every simulated timestamp starts with this date. */
export const VIRTUAL_EPOCH_MS = Date.UTC(2026, 0, 1);

/** Virtual time that only moves when told to. */
export interface VirtualClock {
  readonly now: () => Date;
  advance(ms: number): void;
}

/** A virtual clock starting at 2026-01-01T00:00:00Z. */
export function virtualClock(startMs = VIRTUAL_EPOCH_MS): VirtualClock {
  let current = startMs;
  return {
    now: () => new Date(current),
    advance(ms) {
      current += ms;
    },
  };
}
