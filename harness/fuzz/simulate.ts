import type { EventIdentity } from '../events/envelope-adapter';
import {
  InMemoryTransport,
  type DeliveryStep,
  type TransportEvent,
} from '../transport/memory/in-memory-transport';
import { deterministicIds, VIRTUAL_EPOCH_MS } from './_internals/determinism';
import { choiceGenerator, settle, VirtualScheduler } from './_internals/virtual-scheduler';
import { describeFault, type Fault, type Schedule } from './schedule';
import type { SimEnv, SimSystem, SimTarget, SimWhere } from './sim-target';

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
      /** How the delivery ended; `pending` when the run ended first. */
      settled: DeliveryStep['settled'] | 'pending';
      /** The connection (service instance) it was delivered to, when the target names its connections. */
      instance?: string;
    }
  | {
      /** A message the broker routed (confirmed or not). `again`: an event id published before (a republish). */
      readonly kind: 'publish';
      readonly step: number;
      readonly eventType: string;
      readonly key: string | undefined;
      readonly again: boolean;
    }
  | { readonly kind: 'fault'; readonly step: number; readonly text: string };

/** The result of running one schedule. */
export interface SimRun {
  /** Distinct events (by eventId) published, in publication order; dead-lettered copies excluded. */
  readonly events: readonly EventIdentity[];
  readonly state: unknown;
  /** False when the step budget ran out with messages still pending (a livelock, a requeue loop) or it stalled. */
  readonly quiesced: boolean;
  readonly steps: number;
  readonly deadLettered: number;
  /**
   * Faults of the schedule that took effect, reordering (`delay`) excepted: a copy made, an ack lost, a crash or
   * failure armed, a cut, a confirm changed. 0 means the run was its own clean baseline, step for step.
   */
  readonly faultsApplied: number;
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
  /** AMQP message-id: where crash and failure faults are armed. */
  readonly messageId: string | undefined;
}

/** How long a publisher waits for a lost confirm before its connection is dropped (virtual ms). */
const CONFIRM_TIMEOUT_MS = 1_000;
/** Virtual time budget of one run: a retry loop that never ends is a convergence failure, not a hang. */
const MAX_VIRTUAL_MS = 10 * 60_000;
/** Scheduler actions budget (statements, flushes, confirms) per allowed delivery. */
const ACTIONS_PER_STEP = 200;

/**
 * Runs `target` on `workload` under `schedule`, deterministically. The target's real code (runtimes, relays,
 * handlers, its store model) runs on the stepped in-memory transport and virtual timers; the simulator is its
 * only executor: at every turn it takes one of the things that could happen next — a delivery (the pending
 * message with the lowest (delay level, arrival) among queues whose consumers have room), a runnable continuation
 * (a store statement, a batch flush, a backoff that ended), a publisher confirm — and applies the schedule's
 * faults on the way. With `interleave` 0 it takes them one at a time in a fixed order (continuations, then
 * confirms, then a delivery); otherwise the seeded choice interleaves them. When nothing can happen, virtual time
 * jumps to the next timer; the run ends when nothing is pending, held unacked or unconfirmed and the system is
 * not busy. Same inputs → same run, event for event.
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
  const publishCounters = new Map<string, number>();
  const events: EventIdentity[] = [];
  const seen = new Set<string>();
  const timeline: TimelineEntry[] = [];
  let deadLettered = 0;
  let step = 0;
  const scheduler = new VirtualScheduler(VIRTUAL_EPOCH_MS);
  const choose = schedule.interleave ? choiceGenerator(schedule.interleave) : undefined;
  /** Confirms to answer, decided when the publish was made: outcome and the time they may be answered. */
  const confirmPlans = new Map<number, { outcome: 'ack' | 'nack' | 'lose'; at: number }>();
  let faultsApplied = 0;
  const note = (text: string): void => {
    if (record) timeline.push({ kind: 'fault', step, text });
  };
  let transport: InMemoryTransport | undefined = undefined;
  /** While the system starts, nothing runs concurrently: a scheduling point resumes at once. */
  let starting = true;

  const onEvent = (event: TransportEvent): void => {
    if (event.kind === 'publish-pending') {
      const nth = publishCounters.get(event.exchange) ?? 0;
      publishCounters.set(event.exchange, nth + 1);
      let plan: { outcome: 'ack' | 'nack' | 'lose'; at: number } = { outcome: 'ack', at: 0 };
      for (const fault of faults.get(`${event.exchange}#${nth}`) ?? []) {
        if (fault.kind !== 'confirm') continue;
        faultsApplied++;
        plan =
          fault.outcome === 'delay'
            ? { outcome: 'ack', at: scheduler.now + fault.by * 10 }
            : { outcome: fault.outcome, at: 0 };
        note(describeFault(fault));
      }
      if (plan.outcome !== 'ack' || plan.at > 0) confirmPlans.set(event.confirm, plan);
      if (plan.at > 0) scheduler.timerApi.setTimeout(() => undefined, plan.at - scheduler.now);
      return;
    }
    if (event.kind === 'connection-cut') {
      note(
        `connection ${event.connection} cut: ${event.redelivered.length} unacked deliveries back in their queues, ` +
          `${event.failedPublishes} unconfirmed publish(es) failed`,
      );
      return;
    }
    if (event.kind !== 'published') return;
    if (event.deadLettered) deadLettered++;
    else {
      const identity = target.adapter.read(event.message);
      const again = identity !== undefined && seen.has(identity.eventId);
      if (identity && !again) {
        seen.add(identity.eventId);
        events.push(identity);
      }
      if (record) {
        timeline.push({
          kind: 'publish',
          step,
          eventType: identity?.eventType ?? event.message.type ?? event.routingKey,
          key: identity?.businessKey,
          again,
        });
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
      const { messageId } = event.message;
      arrivals.set(id, { queue, nth, copy: false, priority, messageId });
      for (const fault of own) {
        if (fault.kind !== 'duplicate' || !transport) continue;
        for (const copy of transport.duplicate(id, fault.copies)) {
          arrivals.set(copy.id, { queue, nth, copy: true, priority: priority + fault.lag, messageId });
        }
        faultsApplied++;
        note(describeFault(fault));
      }
    }
  };

  transport = new InMemoryTransport({ drive: 'stepped', onEvent });
  const ids = deterministicIds();
  /** Crash and failure faults armed for a message being processed, by queue + message-id. */
  const armedCrashes = new Map<string, { point: string; id: number }>();
  const armedFailures = new Map<string, number>();
  const cutHolder = (id: number, why: string): void => {
    const connection = transport.connectionHolding(id);
    if (connection === undefined) return;
    note(why);
    transport.cut(connection);
  };
  const env: SimEnv = {
    transport,
    ids,
    now: () => new Date(scheduler.now),
    timers: scheduler.timerApi,
    step: () => (starting ? Promise.resolve() : scheduler.step()),
    crashAt(point, where) {
      // Asked at every crash point of every message: most runs have nothing armed.
      if (armedCrashes.size === 0) return false;
      let key: string | undefined;
      if (where) key = `${where.queue}\u0000${where.messageId}`;
      else for (const [candidate, armed] of armedCrashes) if (armed.point === point) key = candidate;
      const armed = key === undefined ? undefined : armedCrashes.get(key);
      if (!armed || armed.point !== point || key === undefined) return false;
      armedCrashes.delete(key);
      // The process dies here: everything its connection holds unacked comes back (after the crash unwinds).
      scheduler.timerApi.defer(() => cutHolder(armed.id, `instance crashed at ${point}`));
      return true;
    },
    failAt(where: SimWhere) {
      if (armedFailures.size === 0) return false;
      const key = `${where.queue}\u0000${where.messageId}`;
      const left = armedFailures.get(key) ?? 0;
      if (left <= 0) return false;
      armedFailures.set(key, left - 1);
      return true;
    },
  };
  // Workload injection is not faulted: confirms are immediate until the system has started.
  let system: SimSystem | undefined;
  try {
    // The workload is injected with the scheduler running in order (the system's store may wait on it).
    system = await drive(target.start(env, workload), scheduler);
    transport.setConfirms('stepped');
    starting = false;
    const delivered = new Set<number>();
    const running = new Set<Promise<unknown>>();
    let failure: Error | undefined;
    let quiesced = true;
    let actions = 0;
    const priorityOf = (id: number): number => arrivals.get(id)?.priority ?? 0;
    const answerable = (id: number): boolean => {
      const plan = confirmPlans.get(id);
      return !plan || plan.at <= scheduler.now;
    };
    const busy = (): boolean =>
      transport.unackedCount() > 0 || transport.lostConfirmCount() > 0 || (system?.busy?.() ?? false);

    for (;;) {
      await settle();
      if (failure !== undefined) throw failure;
      scheduler.promoteDue();
      const tasks = scheduler.readyCount;
      let bestId = -1;
      let confirmId = -1;
      // One thing at a time takes continuations first: only without one (or when choosing) look further.
      if (choose || tasks === 0) {
        // The next delivery: lowest (delay level, arrival) among queues whose consumers have room.
        bestId = transport.nextDeliverable(priorityOf);
        // The next confirm the broker may send now.
        confirmId = transport.nextConfirm(answerable);
      }
      const choices = tasks + (bestId >= 0 ? 1 : 0) + (confirmId >= 0 ? 1 : 0);
      if (choices === 0) {
        if (!busy() && transport.openConfirmCount() === 0) break;
        if (!scheduler.hasTimers() || scheduler.now - VIRTUAL_EPOCH_MS > MAX_VIRTUAL_MS) {
          quiesced = false; // stalled: work outstanding and nothing that could move it
          break;
        }
        scheduler.advanceToNextTimer();
        continue;
      }
      if (++actions > ACTIONS_PER_STEP * maxSteps) {
        quiesced = false;
        break;
      }
      let pick = choose ? choose(choices) : 0;
      if (pick < tasks) {
        scheduler.run(pick);
        continue;
      }
      pick -= tasks;
      if (confirmId >= 0 && (pick === 0 || bestId < 0)) {
        const outcome = confirmPlans.get(confirmId)?.outcome ?? 'ack';
        confirmPlans.delete(confirmId);
        const connection = transport.confirmConnection(confirmId);
        transport.confirm(confirmId, outcome);
        if (outcome === 'lose' && connection !== undefined) {
          // The publisher never hears back: its connection is dropped after a timeout, the publish fails.
          scheduler.timerApi.setTimeout(() => {
            note(`confirm timeout on connection ${connection}`);
            transport.cut(connection);
          }, CONFIRM_TIMEOUT_MS);
        }
        continue;
      }
      if (step >= maxSteps) {
        quiesced = false;
        break;
      }
      step++;
      scheduler.now += 1;
      const id = bestId;
      const arrival = arrivals.get(id);
      let fault: Fault | undefined;
      let ack: 'settle' | 'lose' = 'settle';
      let cutWhileHandling = false;
      const pendingView = record ? transport.pending().find((m) => m.id === id) : undefined;
      const messageId = arrival?.messageId;
      if (arrival && !arrival.copy && !delivered.has(id)) {
        const key = `${arrival.queue}\u0000${messageId ?? ''}`;
        for (const candidate of faults.get(`${arrival.queue}#${arrival.nth}`) ?? []) {
          if (candidate.kind === 'redeliver') {
            ack = 'lose';
            fault = candidate;
          } else if (candidate.kind === 'crash') {
            armedCrashes.set(key, { point: candidate.point, id });
            fault = candidate;
          } else if (candidate.kind === 'fail') {
            armedFailures.set(key, candidate.times);
            fault = candidate;
          } else if (candidate.kind === 'cut') {
            cutWhileHandling = true;
            fault = candidate;
          }
        }
      }
      if (fault) faultsApplied++;
      delivered.add(id);
      let entry: Extract<TimelineEntry, { kind: 'deliver' }> | undefined;
      if (record && arrival) {
        const identity = pendingView ? target.adapter.read(pendingView) : undefined;
        entry = {
          kind: 'deliver',
          step,
          queue: arrival.queue,
          nth: arrival.nth,
          copy: arrival.copy,
          redelivered: pendingView?.redelivered ?? false,
          eventType: identity?.eventType ?? pendingView?.type ?? pendingView?.routingKey ?? '?',
          key: identity?.businessKey,
          ...(fault ? { fault: describeFault(fault) } : {}),
          settled: 'pending',
        };
        timeline.push(entry);
      }
      const crashKey = arrival ? `${arrival.queue}\u0000${messageId ?? ''}` : '';
      const work = transport.deliver(id, { ack }).then(
        (result) => {
          if (armedCrashes.get(crashKey)?.id === id) armedCrashes.delete(crashKey);
          if (entry) entry.settled = result.settled;
        },
        (error: unknown) => {
          failure ??= error instanceof Error ? error : new Error(String(error));
        },
      );
      running.add(work);
      void work.finally(() => running.delete(work));
      if (entry) {
        const instance = transport.connectionHolding(id);
        if (instance !== undefined) entry.instance = instance;
      }
      if (cutWhileHandling) {
        // Lands at a point of the scheduler's choosing while the instance processes it.
        scheduler.timerApi.defer(() => cutHolder(id, `cut while ${arrival?.queue ?? '?'} processes it`));
      }
    }
    // A run cut short leaves handlers waiting on scheduling points: they are abandoned with the run.
    const state: unknown = await Promise.resolve(system.state());
    return { events, state, quiesced, steps: step, deadLettered, faultsApplied, timeline };
  } finally {
    await stopQuietly(system, scheduler);
    await closeQuietly(transport, scheduler);
  }
}

/** Stops the system while the scheduler keeps running what stopping needs (a stop awaits in-flight work). */
async function stopQuietly(system: SimSystem | undefined, scheduler: VirtualScheduler): Promise<void> {
  if (!system?.stop) return;
  await drive(system.stop(), scheduler);
}

async function closeQuietly(transport: InMemoryTransport, scheduler: VirtualScheduler): Promise<void> {
  await drive(transport.close(), scheduler);
}

/** Awaits `promise`, running the scheduler's continuations and timers in order so that it can finish (bounded). */
async function drive<T>(promise: Promise<T>, scheduler: VirtualScheduler): Promise<T> {
  let done = false;
  let error: unknown;
  let failed = false;
  let value: T | undefined;
  void promise.then(
    (result) => {
      done = true;
      value = result;
    },
    (caught: unknown) => {
      done = true;
      failed = true;
      error = caught;
    },
  );
  for (let i = 0; i < 100_000 && !done; i++) {
    await settle();
    if (done) break;
    scheduler.promoteDue();
    if (scheduler.readyCount > 0) scheduler.run(0);
    else if (scheduler.hasTimers()) scheduler.advanceToNextTimer();
    else break;
  }
  if (failed) throw error;
  if (!done)
    throw new Error('simulate: the system did not finish starting or stopping (it waits on nothing)');
  return value as T;
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
