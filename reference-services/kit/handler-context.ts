import { shopCatalog, type ShopEvent, type ShopEventType } from '../events/catalog';
import type { Causation } from '../../harness/events/event-catalog';
import type { KnownBug } from './bugs';
import type { Clock, IdGenerator } from './determinism';
import type { EventByType, HandlerContext } from './service-definition';
import type { StoreTx } from './store';

/** Builds the context of one transaction; `emitted` collects what `emit` wrote to the outbox. */
export function createHandlerContext(options: {
  readonly service: string;
  readonly tx: StoreTx;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly bugs: ReadonlySet<KnownBug>;
  readonly causation: Causation;
  readonly emitted: ShopEvent[];
}): HandlerContext {
  const { service, tx, clock, ids, bugs, causation, emitted } = options;
  return {
    service,
    tx,
    now: clock,
    newId: ids,
    bugs,
    emit<T extends ShopEventType>(type: T, payload: EventByType<T>['payload']): EventByType<T> {
      const event = createUntyped(type, payload, causation, {
        eventId: ids(),
        timestamp: clock().toISOString(),
      }) as EventByType<T>;
      // Written to the outbox by `flushEmitted` before commit, so `emit` stays synchronous for handlers.
      emitted.push(event);
      return event;
    },
  };
}

/** Writes the collected events to the outbox, in emission order. */
export async function flushEmitted(tx: StoreTx, emitted: readonly ShopEvent[]): Promise<void> {
  for (const event of emitted) {
    await tx.appendOutbox({
      aggregateId: aggregateIdOf(event),
      eventId: event.eventId,
      eventType: event.eventType,
      routingKey: shopCatalog.require(event.eventType).routingKey,
      correlationId: event.correlationId,
      body: JSON.stringify(event),
    });
  }
}

/** The business key of a shop event: every payload carries `orderId`. */
export function aggregateIdOf(event: ShopEvent): string {
  return event.payload.orderId;
}

/** `shopCatalog.create` seen through a generic `T`: TypeScript cannot correlate the payload union, the catalog
 * validates it at run time anyway. */
const createUntyped = shopCatalog.create.bind(shopCatalog) as (
  type: ShopEventType,
  payload: unknown,
  causation: Causation,
  options: { readonly eventId: string; readonly timestamp: string },
) => ShopEvent;
