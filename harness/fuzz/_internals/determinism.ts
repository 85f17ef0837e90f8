/**
 * Deterministic uuid-shaped ids: valid uuid v7 layout (version 7, RFC variant), counting up, so the same run gives
 * the same ids and they still sort in creation order.
 */
export function deterministicIds(prefix = 0x0190a000): () => string {
  let counter = 0;
  const head = prefix.toString(16).padStart(8, '0').slice(-8);
  return () => {
    counter++;
    return `${head}-0000-7000-8000-${counter.toString(16).padStart(12, '0')}`;
  };
}

/** Virtual time that only moves when told to. */
export interface VirtualClock {
  readonly now: () => Date;
  advance(ms: number): void;
}

/** A virtual clock starting at 2026-01-01T00:00:00Z. */
export function virtualClock(startMs = Date.UTC(2026, 0, 1)): VirtualClock {
  let current = startMs;
  return {
    now: () => new Date(current),
    advance(ms) {
      current += ms;
    },
  };
}
