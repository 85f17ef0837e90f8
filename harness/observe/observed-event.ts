import type { EventIdentity } from '../events/envelope-adapter';

/**
 * One delivery as the observer saw it. Every delivery is its own record — redeliveries and duplicate
 * publications included — so nothing the system did is hidden by the observer.
 */
export interface ObservedEvent {
  /** Arrival order in its log, 1-based. */
  readonly seq: number;
  /** Receive time, epoch milliseconds with a sub-millisecond fraction. */
  readonly receivedAt: number;
  /** The queue the delivery came from (the tap's queue, or an observed consumer's queue). */
  readonly source: string;
  readonly exchange: string;
  readonly routingKey: string;
  /** True when the broker delivered this message to `source` before without an ack. */
  readonly redelivered: boolean;
  readonly deliveryTag: number;
  readonly body: Uint8Array;
  readonly headers: Readonly<Record<string, unknown>>;
  /** What the envelope adapter read; undefined when the message is not an event it understands. */
  readonly identity: EventIdentity | undefined;
}

/** An observed event the adapter could read. */
export type IdentifiedEvent = ObservedEvent & { readonly identity: EventIdentity };

/** The event type of an observation, or `(unreadable)`. */
export function eventTypeOf(event: ObservedEvent): string {
  return event.identity?.eventType ?? '(unreadable)';
}

/** Narrows to events whose identity the adapter could read. */
export function isIdentified(event: ObservedEvent): event is IdentifiedEvent {
  return event.identity !== undefined;
}

/**
 * Which service produced an event. Default: the first word of the routing key (`orders.order.placed` → `orders`),
 * the convention of topic exchanges; pass your own for other conventions.
 */
export type ServiceOf = (event: ObservedEvent) => string;

/** The default `ServiceOf`: first word of the routing key. */
export const serviceFromRoutingKey: ServiceOf = (event) => event.routingKey.split('.')[0] || '(unknown)';
