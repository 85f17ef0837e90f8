import type { ShopEvent, ShopEventType } from '../events/catalog';
import type { KnownBug } from './bugs';
import type { RowRef, StoreTx } from './store';

/** The shop event of type `T`. */
export type EventByType<T extends ShopEventType> = Extract<ShopEvent, { eventType: T }>;

/** What a handler (or a command) gets: its transaction, time, ids, the bugs switched on, and `emit`. */
export interface HandlerContext {
  readonly service: string;
  readonly tx: StoreTx;
  /** Injected clock: never call `new Date()` in a handler. */
  now(): Date;
  /** Injected id generator: never generate ids any other way in a handler. */
  newId(): string;
  readonly bugs: ReadonlySet<KnownBug>;
  /**
   * Creates a validated event caused by the current message (or command) and writes it to the outbox in this
   * transaction. The aggregate (for per-aggregate publication order) is the payload's `orderId`.
   */
  emit<T extends ShopEventType>(type: T, payload: EventByType<T>['payload']): EventByType<T>;
}

/** Handles one consumed event type inside the processor's transaction. Throwing rolls back and retries. */
export type EventHandler<T extends ShopEventType> = (
  event: EventByType<T>,
  context: HandlerContext,
) => Promise<void>;

/** The event types a service consumes, each with its handler. */
export type EventHandlers = { readonly [T in ShopEventType]?: EventHandler<T> };

/**
 * Per event type, the rows its handler locks (`get(…, { forUpdate: true })`), known from the event alone. A batch
 * locks the rows of all its events in one statement before the handlers run, instead of one round trip per event.
 * Declaring fewer rows than the handler locks is correct (the handler locks the rest itself), only slower.
 */
export type RowLocks = { readonly [T in ShopEventType]?: (event: EventByType<T>) => readonly RowRef[] };

/** A service: its name (the inbox consumer and queue name) and what it consumes. */
export interface ServiceDefinition {
  readonly name: string;
  readonly handlers: EventHandlers;
  /** The rows its handlers lock, for batches (see `RowLocks`). */
  readonly locks?: RowLocks;
  /**
   * Event types whose handlers may run at the same time within one batch transaction (one flow's events still run
   * in order), so their waits on an external system overlap instead of adding up. Only for handlers that touch no
   * row another flow's handler touches (they write rows under keys of their own and call external systems).
   */
  readonly concurrent?: readonly ShopEventType[];
}

/** The event types `service` consumes. */
export function consumedEventTypes(service: ServiceDefinition): ShopEventType[] {
  return (Object.keys(service.handlers) as ShopEventType[]).filter((type) => service.handlers[type]);
}
