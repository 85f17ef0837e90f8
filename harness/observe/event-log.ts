import type { EnvelopeAdapter, EventIdentity } from '../events/envelope-adapter';
import type { Delivery } from '../transport/transport';
import { ObserveError } from './observe-error';
import type { ObservedEvent } from './observed-event';

/** Called synchronously for every recorded delivery, in arrival order. */
export type LogListener = (event: ObservedEvent) => void;

/** Anything assertions can wait on: a source of change notifications. */
export interface ChangeSource {
  /** Registers a listener; returns the function that removes it. */
  subscribe(listener: LogListener): () => void;
}

/** What `EventLog.record` needs from a delivery: the `Delivery` fields, minus the ones a log can default. */
export type RecordableDelivery = Pick<Delivery, 'body' | 'routingKey' | 'headers'> &
  Partial<
    Pick<
      Delivery,
      | 'exchange'
      | 'queue'
      | 'deliveryTag'
      | 'redelivered'
      | 'messageId'
      | 'correlationId'
      | 'type'
      | 'contentType'
    >
  >;

export interface EventLogOptions {
  /** How to read type, id, correlation and causation from a message. */
  readonly adapter: EnvelopeAdapter;
  /** Receive-time clock, epoch ms; injectable for deterministic tests. */
  readonly clock?: () => number;
}

const EMPTY: readonly ObservedEvent[] = Object.freeze([]);

/** Wall-clock epoch ms with a sub-millisecond fraction (monotonic within the process). */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Every observed delivery, in arrival order, indexed by correlationId, causationId and eventId. Never
 * deduplicates. Listeners are notified synchronously on record, so assertions resolve on arrival (push) rather
 * than on a poll.
 */
export class EventLog implements ChangeSource {
  readonly adapter: EnvelopeAdapter;
  private readonly clock: () => number;
  private readonly events: ObservedEvent[] = [];
  private readonly byCorrelationId = new Map<string, ObservedEvent[]>();
  private readonly byCausationId = new Map<string, ObservedEvent[]>();
  private readonly byEventIdIndex = new Map<string, ObservedEvent[]>();
  private readonly listeners = new Set<LogListener>();

  constructor(options: EventLogOptions) {
    this.adapter = options.adapter;
    this.clock = options.clock ?? preciseNow;
  }

  /** Records one delivery as received now (or at `receivedAt`), reads its identity and notifies listeners. */
  record(delivery: RecordableDelivery, receivedAt: number = this.clock()): ObservedEvent {
    return this.append({
      receivedAt,
      source: delivery.queue ?? '(direct)',
      exchange: delivery.exchange ?? '',
      routingKey: delivery.routingKey,
      redelivered: delivery.redelivered ?? false,
      deliveryTag: delivery.deliveryTag ?? 0,
      body: delivery.body,
      headers: delivery.headers,
      identity: this.read(delivery),
    });
  }

  /** The adapter's reading; a throwing adapter (a foreign one meeting a poison message) means unreadable. */
  private read(delivery: RecordableDelivery): EventIdentity | undefined {
    try {
      return this.adapter.read({
        body: delivery.body,
        routingKey: delivery.routingKey,
        headers: delivery.headers,
        messageId: delivery.messageId,
        correlationId: delivery.correlationId,
        type: delivery.type,
        contentType: delivery.contentType,
      });
    } catch {
      // Recorded all the same, flagged unreadable: the observer never drops a delivery.
      return undefined;
    }
  }

  /** Appends an already-read observation (e.g. loaded from the event store); assigns its `seq`. */
  append(observation: Omit<ObservedEvent, 'seq'>): ObservedEvent {
    const event: ObservedEvent = Object.freeze({ ...observation, seq: this.events.length + 1 });
    this.events.push(event);
    const identity = event.identity;
    if (identity) {
      push(this.byCorrelationId, identity.correlationId, event);
      push(this.byEventIdIndex, identity.eventId, event);
      if (identity.causationId !== undefined) push(this.byCausationId, identity.causationId, event);
    }
    this.notify(event);
    return event;
  }

  /** Number of recorded deliveries. */
  get size(): number {
    return this.events.length;
  }

  /** Every delivery in arrival order. */
  all(): readonly ObservedEvent[] {
    return this.events;
  }

  /** Deliveries of one flow, in arrival order. */
  byCorrelation(correlationId: string): readonly ObservedEvent[] {
    return this.byCorrelationId.get(correlationId) ?? EMPTY;
  }

  /** Deliveries whose causationId is `causationId` (the children of that event), in arrival order. */
  byCausation(causationId: string): readonly ObservedEvent[] {
    return this.byCausationId.get(causationId) ?? EMPTY;
  }

  /** Every delivery of one event (more than one means it was duplicated or redelivered). */
  byEventId(eventId: string): readonly ObservedEvent[] {
    return this.byEventIdIndex.get(eventId) ?? EMPTY;
  }

  /** Deliveries the adapter could not read (poison or foreign messages). */
  unreadable(): readonly ObservedEvent[] {
    return this.events.filter((event) => event.identity === undefined);
  }

  /** Every correlationId seen, in order of first appearance. */
  correlationIds(): string[] {
    return [...this.byCorrelationId.keys()];
  }

  /** @inheritdoc */
  subscribe(listener: LogListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** A change source that only fires for one flow. */
  forCorrelation(correlationId: string): ChangeSource {
    return {
      subscribe: (listener) =>
        this.subscribe((event) => {
          if (event.identity?.correlationId === correlationId) listener(event);
        }),
    };
  }

  private notify(event: ObservedEvent): void {
    // One failing listener must not starve the others (nor lose the record): notify all, then report.
    let failure: unknown;
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) {
      throw new ObserveError('listener-failed', `An EventLog listener threw on delivery #${event.seq}`, {
        cause: failure,
      });
    }
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
