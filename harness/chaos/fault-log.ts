import type { ChaosFaultKind } from './plan/chaos-fault';

/** One applied fault (or connection event caused by one), with its time, for the report's timeline. */
export interface FaultLogEntry {
  /** Milliseconds since the proxy started. */
  readonly atMs: number;
  /** Wall-clock time, ISO 8601. */
  readonly time: string;
  readonly service: string;
  /** The proxy's id of the connection, when the fault hit one. */
  readonly connection?: number;
  readonly kind: ChaosFaultKind;
  /** What happened, e.g. `held PaymentCompleted (key payment.completed, tag 4) 250 ms`. */
  readonly detail: string;
}

/** Entries a proxy keeps; a long-running `troupe proxy` with probabilistic faults drops the oldest tenth beyond. */
const MAX_ENTRIES = 100_000;

/** The fault log of one proxy: append-only, in order (the oldest dropped beyond 100,000 entries, and counted). */
export class FaultLog {
  private readonly entries: FaultLogEntry[] = [];
  /** Entries dropped to bound memory. */
  dropped = 0;
  constructor(
    private readonly startedAt: number,
    private readonly onEntry?: (entry: FaultLogEntry) => void,
  ) {}

  record(entry: Omit<FaultLogEntry, 'atMs' | 'time'>): void {
    const now = Date.now();
    const full: FaultLogEntry = { atMs: now - this.startedAt, time: new Date(now).toISOString(), ...entry };
    if (this.entries.length >= MAX_ENTRIES) {
      const drop = MAX_ENTRIES / 10;
      this.entries.splice(0, drop);
      this.dropped += drop;
    }
    this.entries.push(full);
    this.onEntry?.(full);
  }

  all(): readonly FaultLogEntry[] {
    return this.entries.slice();
  }
}

/** One line per entry: `+1234 ms  inventory (conn 3)  duplicate  copied PaymentCompleted …`. */
export function renderFaultLog(entries: readonly FaultLogEntry[]): string {
  if (entries.length === 0) return '(no fault applied)';
  const service = Math.max(...entries.map((e) => formatWho(e).length));
  const kind = Math.max(...entries.map((e) => e.kind.length));
  return entries
    .map(
      (e) =>
        `${`+${e.atMs} ms`.padStart(10)}  ${formatWho(e).padEnd(service)}  ${e.kind.padEnd(kind)}  ${e.detail}`,
    )
    .join('\n');
}

function formatWho(entry: FaultLogEntry): string {
  return entry.connection === undefined ? entry.service : `${entry.service} (conn ${entry.connection})`;
}
