import type { EnvelopeAdapter } from '../events/envelope-adapter';
import type {
  ConsumeOptions,
  Delivery,
  DeliveryHandler,
  OutgoingMessage,
  Subscription,
  Topology,
  Transport,
} from '../transport/transport';
import type { ScenarioFault } from './scenario-schema';

/** One fault as it actually happened, for the report's timeline. */
export interface AppliedFault {
  /** Epoch ms. */
  readonly at: number;
  readonly kind: 'duplicate' | 'delay' | 'reorder' | 'redeliver' | 'cutConnections' | 'restartService';
  readonly detail: string;
}

/** Options of `FaultInjector`. */
export interface FaultInjectorOptions {
  /** Epoch-ms clock; injectable for tests. */
  readonly clock?: () => number;
}

/** How long a triggered fault waits for the triggering message to reach its consumers. */
const inFlightGraceMs = 20;

/** What the injector needs from the target; see `FaultInjector.bind`. */
export interface FaultBinding {
  readonly adapter: EnvelopeAdapter;
  readonly serviceOfQueue: (queue: string) => string | undefined;
  /** Cuts broker connections (of one service or all); returns what it did, for the report. */
  readonly cutConnections: (service: string | undefined) => Promise<string>;
  /** Stops and starts a service; returns what it did. */
  readonly restartService: (service: string) => Promise<string>;
  /** Sees every delivery a service consumer gets (before faults), e.g. to record redeliveries in the timeline. */
  readonly onDelivery?: (delivery: Delivery) => void;
}

type DuplicateFault = Extract<ScenarioFault, { duplicate: unknown }>['duplicate'];
type DelayFault = Extract<ScenarioFault, { delay: unknown }>['delay'];
type ReorderFault = Extract<ScenarioFault, { reorder: unknown }>['reorder'];
type RedeliverFault = Extract<ScenarioFault, { redeliver: unknown }>['redeliver'];

/**
 * Applies a scenario's message faults by decorating the `Transport` the services use, so it works on any broker
 * adapter (RabbitMQ or in-memory) and on services Troupe did not write:
 * - `duplicate`: a publish of the event goes out `copies` more times, same bytes and message id (as after an
 *   outbox relay crash between publish and mark);
 * - `delay`: a consumer gets the event `by` ms late;
 * - `reorder`: a consumer's delivery of the event is held back until the next delivery on that queue has been
 *   handled (or `window` passes), so they are processed out of order;
 * - `redeliver`: the consumer handles the event, then "crashes" before its ack: the delivery is requeued and the
 *   broker redelivers it with `redelivered=true`;
 * - `cutConnections` / `restartService`: applied (through the target) as soon as their `after` event is
 *   published; during a cut consumers hold their deliveries, so it lands mid-flow with messages unacked;
 * - `cut()`: emulates a cut connection where the broker cannot be cut for real (in-memory): handlers running at
 *   that moment lose their ack and their messages come back redelivered.
 */
export class FaultInjector {
  private adapter: EnvelopeAdapter = { read: () => undefined };
  private serviceOfQueue: (queue: string) => string | undefined = () => undefined;
  private readonly clock: () => number;
  private readonly duplicates: DuplicateFault[] = [];
  private readonly delays: DelayFault[] = [];
  private readonly reorders: ReorderFault[] = [];
  private readonly redeliveries: RedeliverFault[] = [];
  /** (queue, eventId) → how many simulated crashes that delivery has had. */
  private readonly crashes = new Map<string, number>();
  /** Per queue: deliveries held back by `reorder`, released by the next delivery on the queue. */
  private readonly held = new Map<string, (() => void)[]>();
  private readonly log: AppliedFault[] = [];
  private cutEpoch = 0;
  private actions: Pick<FaultBinding, 'cutConnections' | 'restartService'> | undefined;
  private onDelivery: ((delivery: Delivery) => void) | undefined;
  /** `cutConnections` / `restartService` faults, each fired once when its `after` event is first published. */
  private readonly triggers: {
    readonly after: string;
    readonly fire: () => Promise<void>;
    /** Hold consumers while it is applied (a cut); a restart must not, as stopping waits for in-flight work. */
    readonly gates: boolean;
    fired: boolean;
  }[] = [];
  private readonly triggered: Promise<void>[] = [];
  /** While a triggered fault is being applied, consumers wait here: the fault lands mid-flow, not after it. */
  private gate: Promise<void> = Promise.resolve();

  constructor(faults: readonly ScenarioFault[], options: FaultInjectorOptions = {}) {
    this.clock = options.clock ?? Date.now;
    for (const fault of faults) {
      if ('duplicate' in fault) this.duplicates.push(fault.duplicate);
      else if ('delay' in fault) this.delays.push(fault.delay);
      else if ('reorder' in fault) this.reorders.push(fault.reorder);
      else if ('redeliver' in fault) this.redeliveries.push(fault.redeliver);
      else if ('cutConnections' in fault) {
        const { after, service } = fault.cutConnections;
        this.triggers.push({
          after,
          fired: false,
          gates: true,
          fire: async () => {
            const detail = await this.requireActions().cutConnections(service);
            this.note('cutConnections', `after ${after}: ${detail}`);
          },
        });
      } else {
        const { after, service } = fault.restartService;
        this.triggers.push({
          after,
          fired: false,
          gates: false,
          fire: async () => {
            const detail = await this.requireActions().restartService(service);
            this.note('restartService', `after ${after}: ${detail}`);
          },
        });
      }
    }
  }

  private requireActions(): Pick<FaultBinding, 'cutConnections' | 'restartService'> {
    if (!this.actions) throw new Error('FaultInjector: bind() was not called before traffic started');
    return this.actions;
  }

  /** Fires the triggers waiting for `type`; consumers hold their deliveries until the faults are applied. */
  private fireTriggers(type: string | undefined): void {
    const due = this.triggers.filter((trigger) => !trigger.fired && trigger.after === type);
    if (due.length === 0) return;
    for (const trigger of due) trigger.fired = true;
    const applying = (async () => {
      // Let the broker hand the triggering message to its consumers first (they wait at the gate), so the fault
      // finds it in flight — unacked — as a real mid-flow cut or crash would.
      await new Promise((resolve) => setTimeout(resolve, inFlightGraceMs));
      for (const trigger of due) await trigger.fire();
    })();
    this.triggered.push(applying);
    // `settled()` reports a failure later; until then a rejection must not count as unhandled (it would end
    // the process).
    const survived = applying.catch(() => undefined);
    if (due.some((trigger) => trigger.gates)) {
      // Consumers resume whether the fault worked or not.
      this.gate = Promise.all([this.gate, survived]).then(() => undefined);
    }
  }

  /**
   * Tells the injector how to read event types (the target's envelope adapter: black-box), which service
   * consumes a queue (for faults scoped to one service), and how to cut connections and restart services. Call
   * before traffic starts.
   */
  bind(binding: FaultBinding): void {
    this.adapter = binding.adapter;
    this.serviceOfQueue = binding.serviceOfQueue;
    this.actions = binding;
    this.onDelivery = binding.onDelivery;
  }

  /** Resolves when every triggered fault (cut, restart) has been applied; rejects with the first failure. */
  async settled(): Promise<void> {
    await Promise.all(this.triggered);
  }

  /** Faults applied so far, in order. */
  applied(): readonly AppliedFault[] {
    return this.log;
  }

  /** Records a fault applied elsewhere, so the report shows every fault in one list. */
  note(kind: AppliedFault['kind'], detail: string): void {
    this.log.push({ at: this.clock(), kind, detail });
  }

  /** Emulated connection cut: every delivery being handled right now loses its ack (it will be redelivered). */
  cut(): void {
    this.cutEpoch++;
  }

  /** The transport with faults applied to publishes and to every consumer's handler. */
  wrap(transport: Transport): Transport {
    return {
      declare: (topology: Topology) => transport.declare(topology),
      publish: (exchange: string, message: OutgoingMessage) => this.publish(transport, exchange, message),
      consume: (queue: string, handler: DeliveryHandler, options?: ConsumeOptions): Promise<Subscription> =>
        transport.consume(queue, this.handler(queue, handler), options),
      close: () => {
        for (const release of [...this.held.values()].flat()) release();
        this.held.clear();
        return transport.close();
      },
    };
  }

  private eventTypeOf(message: OutgoingMessage): { type?: string; id?: string } {
    let identity: ReturnType<EnvelopeAdapter['read']>;
    try {
      identity = this.adapter.read({
        body: message.body,
        routingKey: message.routingKey,
        headers: message.headers ?? {},
        messageId: message.messageId,
        correlationId: message.correlationId,
        type: message.type,
      });
    } catch {
      // A message the adapter cannot read gets no fault; it must not fail the service's publish or handler.
      identity = undefined;
    }
    return { ...(identity ? { type: identity.eventType, id: identity.eventId } : {}) };
  }

  private async publish(transport: Transport, exchange: string, message: OutgoingMessage): Promise<void> {
    await transport.publish(exchange, message);
    if (this.duplicates.length === 0 && this.triggers.length === 0) return;
    const { type, id } = this.eventTypeOf(message);
    this.fireTriggers(type);
    const copies = this.duplicates
      .filter((fault) => fault.event === type)
      .reduce((sum, fault) => sum + fault.copies, 0);
    for (let copy = 0; copy < copies; copy++) await transport.publish(exchange, message);
    if (copies > 0) this.note('duplicate', `${type ?? '?'} ${id ?? ''} published ${copies} extra time(s)`);
  }

  private handler(queue: string, handler: DeliveryHandler): DeliveryHandler {
    return async (delivery: Delivery) => {
      // Looked up per delivery: consumers may start before `bind` told the injector how queues map to services.
      const service = this.serviceOfQueue(queue);
      const applies = (
        fault: { event: string; service?: string | undefined },
        type: string | undefined,
      ): boolean => fault.event === type && (fault.service === undefined || fault.service === service);
      const epoch = this.cutEpoch;
      try {
        this.onDelivery?.(delivery);
      } catch {
        // An observer's problem must not change what the service does.
      }
      await this.gate;
      const { type, id } = this.eventTypeOf(delivery);
      const waiting = this.held.get(queue);
      const delay = this.delays.find((fault) => applies(fault, type));
      const reorder = !delivery.redelivered ? this.reorders.find((fault) => applies(fault, type)) : undefined;
      if (delay) {
        this.note('delay', `${type ?? '?'} to ${service ?? queue} held ${delay.by} ms`);
        await sleep(delay.by);
      }
      if (reorder) {
        this.note('reorder', `${type ?? '?'} to ${service ?? queue} held back until the next delivery`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(release, reorder.window);
          function release(): void {
            clearTimeout(timer);
            resolve();
          }
          const list = this.held.get(queue) ?? [];
          list.push(release);
          this.held.set(queue, list);
        });
      }
      let outcome = await handler(delivery);
      // A delivery handled after one that was held back releases it: they were processed out of order.
      if (!reorder && waiting && waiting.length > 0) {
        this.held.delete(queue);
        for (const release of waiting) release();
      }
      const redeliver = this.redeliveries.find((fault) => applies(fault, type));
      if (redeliver && outcome === 'ack') {
        const key = `${queue}\u0000${id ?? delivery.deliveryTag}`;
        const crashed = this.crashes.get(key) ?? 0;
        if (crashed < redeliver.times) {
          this.crashes.set(key, crashed + 1);
          this.note('redeliver', `${service ?? queue} crashed after handling ${type ?? '?'}, before its ack`);
          outcome = 'requeue';
        }
      }
      if (epoch !== this.cutEpoch && outcome === 'ack') outcome = 'requeue';
      return outcome;
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
