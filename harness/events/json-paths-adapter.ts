import type { EnvelopeAdapter, EventIdentity } from './envelope-adapter';
import { asText, parseJsonBody, readMessagePath } from './message-path';
import { syntheticEventId } from './synthetic-event-id';

/** Where the fields are in a JSON message (see `readMessagePath` for the path syntax). */
export interface JsonPathsAdapterOptions {
  /** Event type (required): `event`, `meta.type`, `$type`, `$routingKey`. */
  readonly type: string;
  /** Message id; omit for formats without one (every delivery then gets a synthetic id). */
  readonly id?: string | undefined;
  /** Correlation id; default the business key. */
  readonly correlation?: string | undefined;
  readonly causation?: string | undefined;
  /** Business key (`data.orderId`). */
  readonly key?: string | undefined;
  /** Where the payload is; default the whole body (so invariants read `data.orderId`). */
  readonly payload?: string | undefined;
  readonly timestamp?: string | undefined;
}

/**
 * An adapter for any JSON envelope, configured with paths: `{ event: 'OrderPlaced', data: { orderId } }` with no
 * message id is `jsonPathsAdapter({ type: 'event', key: 'data.orderId' })`. A message whose body is not JSON or
 * has no type at `type` is unreadable (recorded, counted, shown — never dropped). Without `id`, or when the id is
 * absent from a message, the event gets a synthetic id unique to its delivery. Correlation falls back to the
 * business key, then to `(uncorrelated)`.
 */
export function jsonPathsAdapter(options: JsonPathsAdapterOptions): EnvelopeAdapter {
  return {
    read(message) {
      const body = parseJsonBody(message.body);
      if (body === undefined) return undefined;
      const read = (path: string | undefined): unknown =>
        path === undefined ? undefined : readMessagePath(message, body, path);
      const eventType = asText(read(options.type));
      if (eventType === undefined) return undefined;
      const id = asText(read(options.id));
      const businessKey = asText(read(options.key));
      const identity: EventIdentity = {
        eventId: id ?? syntheticEventId(),
        ...(id === undefined ? { syntheticId: true } : {}),
        eventType,
        correlationId: asText(read(options.correlation)) ?? businessKey ?? '(uncorrelated)',
        causationId: asText(read(options.causation)),
        businessKey,
        timestamp: asText(read(options.timestamp)),
        payload: options.payload === undefined ? body : read(options.payload),
      };
      return identity;
    },
  };
}
