import { createHash } from 'node:crypto';
import type { EnvelopeAdapter } from '../events/envelope-adapter';
import { INJECTED_HEADER } from '../target/target';
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
  /** The fault kind, or `proxy` for what the chaos proxy did. */
  readonly kind: ScenarioFault['kind'] | 'proxy';
  readonly detail: string;
}

/** Options of `FaultInjector`. */
export interface FaultInjectorOptions {
  /** Epoch-ms clock; injectable for tests. */
  readonly clock?: () => number;
}

/** What the injector needs from the target; see `FaultInjector.bind`. */
export interface FaultBinding {
  readonly adapter: EnvelopeAdapter;
  /** Which service consumes `queue`, for faults aimed at one service. */
  readonly serviceOfQueue: (queue: string) => string | undefined;
  /** Sees every delivery a service consumer gets (before faults), e.g. to record redeliveries in the timeline. */
  readonly onDelivery?: (delivery: Delivery) => void;
  /** Sees the event type of every message a service publishes (lifecycle faults fire on it). */
  readonly onPublish?: (eventType: string) => void;
}

type Fault<Kind extends ScenarioFault['kind']> = Extract<ScenarioFault, { kind: Kind }>;

/**
 * Applies a scenario's message faults in process, by decorating the `Transport` a service uses (targets that run
 * their services in this process hand it `TargetContext.wrapServiceTransport`). On a broker the chaos proxy applies
 * them instead (`leaveMessageFaultsToProxy()`): the wrapped transports then only observe — deliveries (a
 * redelivery is seen exactly, without the firehose) and publications (lifecycle triggers) — and hold consumers
 * while a cut is applied. In process (the in-memory transport, deterministic simulation):
 * - `duplicate`: without `service`, a publish of the event goes out `copies` more times, same bytes and message
 *   id, marked `x-troupe-injected: chaos` (as after an outbox relay crash between publish and mark); with
 *   `service`, that consumer handles the delivery `copies` more times;
 * - `delay`: a consumer gets the event `by` ms late;
 * - `reorder`: a consumer's delivery of the event is held back until the next delivery on that queue has been
 *   handled (or `window` passes), so they are processed out of order;
 * - `redeliver`: the consumer handles the event, then "crashes" before its ack: the delivery is requeued and the
 *   broker redelivers it with `redelivered=true`;
 * - `pause(service, ms)`: the service's consumers hold every delivery for a window;
 * - `hold(applying)`: consumers wait while a lifecycle fault (a cut) is applied, so it lands mid-flow with
 *   messages unacked.
 */
export class FaultInjector {
  private adapter: EnvelopeAdapter = { read: () => undefined };
  private serviceOfQueue: (queue: string) => string | undefined = () => undefined;
  private onDelivery: ((delivery: Delivery) => void) | undefined;
  private onPublish: ((eventType: string) => void) | undefined;
  private readonly clock: () => number;
  private readonly duplicates: Fault<'duplicate'>[] = [];
  private readonly delays: Fault<'delay'>[] = [];
  private readonly reorders: Fault<'reorder'>[] = [];
  private readonly redeliveries: Fault<'redeliver'>[] = [];
  /** (queue, eventId) → how many simulated crashes that delivery has had. */
  private readonly crashes = new Map<string, number>();
  /** Per queue: deliveries held back by `reorder`, released by the next delivery on the queue. */
  private readonly held = new Map<string, (() => void)[]>();
  /** Per service: until when its consumers are paused. */
  private readonly paused = new Map<string, Promise<void>>();
  private readonly log: AppliedFault[] = [];
  private wrapped = 0;
  /** The chaos proxy applies the message faults and pauses: the wrapped transports only observe and hold. */
  private proxied = false;
  /** While a lifecycle fault is being applied, consumers wait here: the fault lands mid-flow, not after it. */
  private gate: Promise<void> = Promise.resolve();

  constructor(faults: readonly ScenarioFault[], options: FaultInjectorOptions = {}) {
    this.clock = options.clock ?? Date.now;
    for (const fault of faults) {
      if (fault.kind === 'duplicate') this.duplicates.push(fault);
      else if (fault.kind === 'delay') this.delays.push(fault);
      else if (fault.kind === 'reorder') this.reorders.push(fault);
      else if (fault.kind === 'redeliver') this.redeliveries.push(fault);
    }
  }

  /**
   * Tells the injector how to read event types (the target's envelope adapter: black-box), which service consumes
   * a queue, and whom to tell about deliveries and publications. Call before traffic starts.
   */
  bind(binding: FaultBinding): void {
    this.adapter = binding.adapter;
    this.serviceOfQueue = binding.serviceOfQueue;
    this.onDelivery = binding.onDelivery;
    this.onPublish = binding.onPublish;
  }

  /** True once a target wrapped a transport with this injector: its services' deliveries are seen in process. */
  get inProcess(): boolean {
    return this.wrapped > 0;
  }

  /** True when this injector applies the message faults and pauses (in process, and not left to the proxy). */
  get appliesMessageFaults(): boolean {
    return this.inProcess && !this.proxied;
  }

  /**
   * The chaos proxy applies the message faults (its plan) and pauses from now on: the wrapped transports only
   * observe and hold. Call before traffic starts, or a message could be faulted twice.
   */
  leaveMessageFaultsToProxy(): void {
    this.proxied = true;
  }

  /** Faults applied so far, in order. */
  applied(): readonly AppliedFault[] {
    return this.log;
  }

  /** Records a fault applied elsewhere (a cut, a kill, the proxy), so the report shows every fault in one list. */
  note(kind: AppliedFault['kind'], detail: string): void {
    this.log.push({ at: this.clock(), kind, detail });
  }

  /** Consumers hold their deliveries until `applying` settles (a cut lands while messages are unacked). */
  hold(applying: Promise<unknown>): void {
    const survived = applying.then(
      () => undefined,
      () => undefined,
    );
    this.gate = Promise.all([this.gate, survived]).then(() => undefined);
  }

  /** The consumers of `service` hold every delivery for `ms`. */
  pause(service: string, ms: number): void {
    const until = new Promise<void>((resolve) => setTimeout(resolve, ms));
    this.paused.set(service, until);
    void until.then(() => {
      if (this.paused.get(service) === until) this.paused.delete(service);
    });
  }

  /** The transport with faults applied to publishes and to every consumer's handler. */
  wrap(transport: Transport): Transport {
    this.wrapped++;
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

  private identityOf(message: OutgoingMessage): { type?: string; id?: string } {
    let identity: ReturnType<EnvelopeAdapter['read']>;
    try {
      identity = this.adapter.read({
        body: message.body,
        routingKey: message.routingKey,
        headers: message.headers ?? {},
        messageId: message.messageId,
        correlationId: message.correlationId,
        type: message.type,
        contentType: message.contentType,
      });
    } catch {
      // A message the adapter cannot read gets no fault; it must not fail the service's publish or handler.
      identity = undefined;
    }
    if (!identity) return {};
    // A synthetic id is new for every delivery: the message's bytes are what stays the same across redeliveries.
    const id = identity.syntheticId
      ? createHash('sha1').update(message.body).digest('hex')
      : identity.eventId;
    return { type: identity.eventType, id };
  }

  private async publish(transport: Transport, exchange: string, message: OutgoingMessage): Promise<void> {
    await transport.publish(exchange, message);
    const { type, id } = this.identityOf(message);
    if (type !== undefined) {
      try {
        this.onPublish?.(type);
      } catch {
        // An observer's problem must not fail the service's publish.
      }
    }
    if (this.proxied) return;
    const copies = this.duplicates
      .filter((fault) => fault.event === type && fault.service === undefined)
      .reduce((sum, fault) => sum + fault.copies, 0);
    const marked = { ...message, headers: { ...message.headers, [INJECTED_HEADER]: 'chaos' } };
    for (let copy = 0; copy < copies; copy++) await transport.publish(exchange, marked);
    if (copies > 0) this.note('duplicate', `${type ?? '?'} ${id ?? ''} published ${copies} extra time(s)`);
  }

  private handler(queue: string, handler: DeliveryHandler): DeliveryHandler {
    return async (delivery: Delivery) => {
      // Looked up per delivery: consumers may start before `bind` told the injector how queues map to services.
      const service = this.serviceOfQueue(queue);
      const applies = (fault: { event: string; service?: string | undefined }, type: string | undefined) =>
        fault.event === type && (fault.service === undefined || fault.service === service);
      try {
        this.onDelivery?.(delivery);
      } catch {
        // An observer's problem must not change what the service does.
      }
      await this.gate;
      if (this.proxied) return handler(delivery);
      const pause = service === undefined ? undefined : this.paused.get(service);
      if (pause) await pause;
      const { type, id } = this.identityOf(delivery);
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
      const copies = delivery.redelivered
        ? 0
        : this.duplicates
            .filter((fault) => fault.service !== undefined && applies(fault, type))
            .reduce((sum, fault) => sum + fault.copies, 0);
      if (copies > 0) {
        this.note(
          'duplicate',
          `${type ?? '?'} ${id ?? ''} delivered to ${service ?? queue} ${copies} extra time(s)`,
        );
        for (let copy = 0; copy < copies && outcome === 'ack'; copy++) outcome = await handler(delivery);
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
      return outcome;
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
