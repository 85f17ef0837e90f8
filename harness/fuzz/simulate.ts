import type { EventIdentity } from '../events/envelope-adapter';
import {
  InMemoryTransport,
  type DeliveryStep,
  type TransportEvent,
} from '../transport/memory/in-memory-transport';
import { deterministicIds, virtualClock } from './_internals/determinism';
import { describeFault, type Fault, type Schedule } from './schedule';
import type { SimEnv, SimSystem, SimTarget } from './sim-target';

/** One line of a simulated run's timeline. */
export type TimelineEntry =
  | {
      readonly kind: 'deliver';
      readonly step: number;
      readonly queue: string;
      readonly nth: number;
      readonly copy: boolean;
      readonly redelivered: boolean;
      readonly eventType: string;
      readonly key: string | undefined;
      /** The fault applied to this delivery, if any. */
      readonly fault?: string;
      readonly settled: DeliveryStep['settled'];
      /** Event types published while handling it. */
      readonly emitted: readonly string[];
    }
  | { readonly kind: 'fault'; readonly step: number; readonly text: string };

/** The result of running one schedule. */
export interface SimRun {
  /** Distinct events (by eventId) published, in publication order; dead-lettered copies excluded. */
  readonly events: readonly EventIdentity[];
  readonly state: unknown;
  /** False when the step budget ran out with messages still pending (a livelock, a requeue loop). */
  readonly quiesced: boolean;
  readonly steps: number;
  readonly deadLettered: number;
  /** Filled when `record` is set. */
  readonly timeline: readonly TimelineEntry[];
}

export interface SimulateOptions {
  /** Keep a timeline (slower; used to report failures). */
  readonly record?: boolean;
  /** Delivery budget before the run counts as not quiescing (default 5,000). */
  readonly maxSteps?: number;
}

interface Arrival {
  readonly queue: string;
  readonly nth: number;
  readonly copy: boolean;
  readonly priority: number;
}

/**
 * Runs `target` on `workload` under `schedule`, deterministically: the simulator repeatedly delivers the pending
 * message with the lowest (delay level, arrival) among queues that have a consumer, applying the schedule's faults
 * on the way, until nothing is pending. Same inputs → same run, event for event.
 */
export async function simulate<W>(
  target: SimTarget<W>,
  workload: W,
  schedule: Schedule,
  options: SimulateOptions = {},
): Promise<SimRun> {
  const record = options.record ?? false;
  const maxSteps = options.maxSteps ?? 5_000;
  const faults = indexFaults(schedule.faults);
  const arrivals = new Map<number, Arrival>();
  const counters = new Map<string, number>();
  const events: EventIdentity[] = [];
  const seen = new Set<string>();
  const timeline: TimelineEntry[] = [];
  let emittedThisStep: string[] = [];
  let deadLettered = 0;
  let step = 0;
  let transport: InMemoryTransport | undefined = undefined;

  const onEvent = (event: TransportEvent): void => {
    if (event.kind !== 'published') return;
    if (event.deadLettered) deadLettered++;
    else {
      const identity = target.adapter.read(event.message);
      if (identity && !seen.has(identity.eventId)) {
        seen.add(identity.eventId);
        events.push(identity);
        if (record) emittedThisStep.push(identity.eventType);
      }
    }
    for (let i = 0; i < event.queues.length; i++) {
      const queue = event.queues[i] as string;
      const id = event.messageIds[i] as number;
      const nth = counters.get(queue) ?? 0;
      counters.set(queue, nth + 1);
      const own = faults.get(`${queue}#${nth}`) ?? [];
      let priority = 0;
      for (const fault of own) if (fault.kind === 'delay') priority = Math.max(priority, fault.by);
      arrivals.set(id, { queue, nth, copy: false, priority });
      for (const fault of own) {
        if (fault.kind !== 'duplicate' || !transport) continue;
        for (const copy of transport.duplicate(id, fault.copies)) {
          arrivals.set(copy.id, { queue, nth, copy: true, priority: priority + fault.lag });
        }
        if (record) timeline.push({ kind: 'fault', step, text: describeFault(fault) });
      }
    }
  };

  transport = new InMemoryTransport({ drive: 'stepped', onEvent });
  const ids = deterministicIds();
  const clock = virtualClock();
  let armed: string | undefined;
  const env: SimEnv = {
    transport,
    ids,
    now: clock.now,
    crashAt(point) {
      if (armed !== point) return false;
      armed = undefined;
      return true;
    },
  };
  // Stopped and closed on every path: a target whose handler, state() or start fails must not leak its system.
  let system: SimSystem | undefined;
  try {
    system = await target.start(env, workload);
    const delivered = new Set<number>();
    const consumed = new Map<string, boolean>();
    const hasConsumer = (queue: string): boolean => {
      let known = consumed.get(queue);
      if (known === undefined) {
        known = transport.hasConsumer(queue);
        consumed.set(queue, known);
      }
      return known;
    };

    let quiesced = true;
    for (;;) {
      let bestId = -1;
      let bestPriority = 0;
      transport.scanPending((id, queue) => {
        if (!hasConsumer(queue)) return;
        const priority = arrivals.get(id)?.priority ?? 0;
        if (bestId < 0 || priority < bestPriority || (priority === bestPriority && id < bestId)) {
          bestId = id;
          bestPriority = priority;
        }
      });
      if (bestId < 0) break;
      if (step >= maxSteps) {
        quiesced = false;
        break;
      }
      step++;
      clock.advance(1);
      const arrival = arrivals.get(bestId);
      let fault: Fault | undefined;
      let ack: 'settle' | 'lose' = 'settle';
      if (arrival && !arrival.copy && !delivered.has(bestId)) {
        for (const candidate of faults.get(`${arrival.queue}#${arrival.nth}`) ?? []) {
          if (candidate.kind === 'redeliver') {
            ack = 'lose';
            fault = candidate;
          } else if (candidate.kind === 'crash') {
            armed = candidate.point;
            fault = candidate;
          }
        }
      }
      delivered.add(bestId);
      let pendingView: { eventType: string; key: string | undefined; redelivered: boolean } | undefined;
      if (record) {
        const message = transport.pending().find((m) => m.id === bestId);
        const identity = message ? target.adapter.read(message) : undefined;
        pendingView = {
          eventType: identity?.eventType ?? message?.type ?? message?.routingKey ?? '?',
          key: identity?.businessKey,
          redelivered: message?.redelivered ?? false,
        };
        emittedThisStep = [];
      }
      const result = await transport.deliver(bestId, { ack });
      armed = undefined;
      if (record && arrival && pendingView) {
        timeline.push({
          kind: 'deliver',
          step,
          queue: arrival.queue,
          nth: arrival.nth,
          copy: arrival.copy,
          redelivered: pendingView.redelivered,
          eventType: pendingView.eventType,
          key: pendingView.key,
          ...(fault ? { fault: describeFault(fault) } : {}),
          settled: result.settled,
          emitted: emittedThisStep,
        });
      }
    }
    const state: unknown = await Promise.resolve(system.state());
    return { events, state, quiesced, steps: step, deadLettered, timeline };
  } finally {
    await system?.stop?.();
    await transport.close();
  }
}

function indexFaults(faults: readonly Fault[]): Map<string, Fault[]> {
  const index = new Map<string, Fault[]>();
  for (const fault of faults) {
    const key = `${fault.consumer}#${fault.nth}`;
    const list = index.get(key);
    if (list) list.push(fault);
    else index.set(key, [fault]);
  }
  return index;
}
