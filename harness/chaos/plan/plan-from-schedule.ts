import type { Schedule } from '../../fuzz/schedule';
import type { ChaosFault, ChaosPlan } from './chaos-fault';

/** How a simulator schedule maps onto live services. */
export interface ScheduleMapping {
  /** The service (proxy listener) that consumes from a queue. */
  readonly serviceOf: (queue: string) => string | undefined;
  /** Milliseconds per simulator delay step (`delay … by 2`, `lag 1`); default 100. */
  readonly stepMs?: number;
  readonly seed?: number;
}

/** A plan converted from a schedule, and the faults no proxy can inject (with why). */
export interface ConvertedPlan {
  readonly plan: ChaosPlan;
  readonly skipped: readonly { readonly fault: Schedule['faults'][number]; readonly why: string }[];
}

/**
 * Turns a simulator schedule (`harness/fuzz/schedule.ts`) into a chaos plan, so a counterexample found in
 * simulation replays against live services: same (queue, nth) keys, delays in steps become milliseconds,
 * `redeliver` (the handler ran, the ack was lost) becomes `lose-ack` + a TCP reset. A `crash` inside a handler
 * cannot be caused from the wire and is reported as skipped.
 */
export function planFromSchedule(schedule: Schedule, mapping: ScheduleMapping): ConvertedPlan {
  const stepMs = mapping.stepMs ?? 100;
  const faults: ChaosFault[] = [];
  const skipped: { fault: Schedule['faults'][number]; why: string }[] = [];
  for (const fault of schedule.faults) {
    const service = mapping.serviceOf(fault.consumer);
    if (service === undefined) {
      skipped.push({ fault, why: `no service consumes from ${fault.consumer}` });
      continue;
    }
    const where = { service, match: { queue: fault.consumer }, nth: fault.nth };
    switch (fault.kind) {
      case 'duplicate':
        faults.push({
          kind: 'duplicate',
          ...where,
          copies: fault.copies,
          ...(fault.lag > 0 ? { lagMs: fault.lag * stepMs } : {}),
        });
        break;
      case 'redeliver':
        faults.push({ kind: 'lose-ack', ...where, thenCut: 'reset' });
        break;
      case 'delay':
        faults.push({ kind: 'delay', ...where, ms: fault.by * stepMs });
        break;
      case 'crash':
        skipped.push({ fault, why: `a crash at ${fault.point} happens inside the handler, not on the wire` });
        break;
    }
  }
  return { plan: { ...(mapping.seed === undefined ? {} : { seed: mapping.seed }), faults }, skipped };
}
