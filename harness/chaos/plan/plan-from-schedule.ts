import type { Fault, Schedule } from '../../fuzz/schedule';
import type { ChaosFault, ChaosPlan, MessageMatch } from './chaos-fault';

/** How a simulator schedule maps onto live services. */
export interface ScheduleMapping {
  /** The service (proxy listener) that consumes from a queue. */
  readonly serviceOf: (queue: string) => string | undefined;
  /**
   * The live queue a fault's deliveries are matched on. Default: the schedule's queue name. `undefined`: no queue
   * match — the ordinal then counts every delivery to the service's listener, right when the service consumes one
   * queue (the simulated queue names need not be the live ones, e.g. a namespace prefix).
   */
  readonly queueOf?: (queue: string) => string | undefined;
  /** The service (proxy listener) that publishes to an exchange, for `confirm` faults; without it they are skipped. */
  readonly publisherOf?: (exchange: string) => string | undefined;
  /**
   * The live exchange a `confirm` fault's publishes are matched on. Default: the schedule's name. `undefined`: no
   * exchange match — the ordinal counts every publish of the publisher's listener.
   */
  readonly exchangeOf?: (exchange: string) => string | undefined;
  /** Milliseconds per simulator delay step (`delay … by 2`, `lag 1`); default 100. */
  readonly stepMs?: number;
  readonly seed?: number;
}

/** A plan converted from a schedule, the faults no proxy can inject (with why), and what else does not carry over. */
export interface ConvertedPlan {
  readonly plan: ChaosPlan;
  readonly skipped: readonly { readonly fault: Fault; readonly why: string }[];
  /** Parts of the schedule that are not faults and do not replay live (the simulator's interleaving). */
  readonly notes: readonly string[];
}

/**
 * Turns a simulator schedule (`harness/fuzz/schedule.ts`) into a chaos plan, so a counterexample found in
 * simulation replays against live services: same (queue, nth) keys, delays in steps become milliseconds,
 * `redeliver` (the handler ran, the ack was lost) becomes `lose-ack` + a TCP reset, `cut` (while the consumer
 * processes the message) a reset right after that delivery reached it, `confirm` faults the publisher's
 * `nack-confirm` / a cut after the publish reached the broker / `delay-confirm`. A `crash` or a transient store
 * `fail` happens inside the handler, not on the wire, and is reported as skipped.
 */
export function planFromSchedule(schedule: Schedule, mapping: ScheduleMapping): ConvertedPlan {
  const stepMs = mapping.stepMs ?? 100;
  const faults: ChaosFault[] = [];
  const skipped: { fault: Fault; why: string }[] = [];
  for (const fault of schedule.faults) {
    if (fault.kind === 'confirm') {
      const exchange = mapping.exchangeOf === undefined ? fault.consumer : mapping.exchangeOf(fault.consumer);
      const converted = confirmFault(fault, mapping.publisherOf?.(fault.consumer), exchange);
      if (typeof converted === 'string') skipped.push({ fault, why: converted });
      else faults.push(converted);
      continue;
    }
    const service = mapping.serviceOf(fault.consumer);
    if (service === undefined) {
      skipped.push({ fault, why: `no service consumes from ${fault.consumer}` });
      continue;
    }
    const queue = mapping.queueOf === undefined ? fault.consumer : mapping.queueOf(fault.consumer);
    const match: MessageMatch | undefined = queue === undefined ? undefined : { queue };
    const where = { service, ...(match === undefined ? {} : { match }), nth: fault.nth };
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
      case 'cut':
        // The simulator cuts while the handler runs; the wire's nearest moment is right after the delivery.
        faults.push({
          kind: 'cut',
          service,
          how: 'reset',
          on: { on: 'deliver', ...(match === undefined ? {} : { match }), nth: fault.nth },
        });
        break;
      case 'crash':
        skipped.push({ fault, why: `a crash at ${fault.point} happens inside the handler, not on the wire` });
        break;
      case 'fail':
        skipped.push({
          fault,
          why: 'a transient store error happens inside the transaction, not on the wire',
        });
        break;
    }
  }
  const notes =
    schedule.interleave !== undefined && schedule.interleave !== 0
      ? [
          `interleave ${schedule.interleave}: the simulator's scheduling of concurrent work; live, the broker's and ` +
            "the services' timing decides",
        ]
      : [];
  return { plan: { ...(mapping.seed === undefined ? {} : { seed: mapping.seed }), faults }, skipped, notes };
}

/** A `confirm` fault for the exchange's publisher, or why there is none. */
function confirmFault(
  fault: Extract<Fault, { kind: 'confirm' }>,
  service: string | undefined,
  exchange: string | undefined,
): ChaosFault | string {
  if (service === undefined) return `no publisher known for exchange ${fault.consumer}`;
  const match = exchange === undefined ? undefined : { exchange };
  const where = { service, ...(match === undefined ? {} : { match }), nth: fault.nth };
  switch (fault.outcome) {
    case 'nack':
      return { kind: 'nack-confirm', ...where };
    case 'lose':
      // Routed, never confirmed, the publisher's connection cut: a cut after the publish reached the broker.
      return {
        kind: 'cut',
        service,
        how: 'reset',
        on: { on: 'publish', ...(match === undefined ? {} : { match }), nth: fault.nth },
      };
    case 'delay':
      // The simulator counts confirm delays in 10 ms steps (schedule.ts).
      return { kind: 'delay-confirm', ...where, ms: fault.by * 10 };
  }
}
