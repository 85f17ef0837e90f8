import type { EnvelopeAdapter } from './envelope-adapter';
import { asText, parseJsonBody, readMessagePath } from './message-path';
import { syntheticEventId } from './synthetic-event-id';

/** Headers read as the causation id, in this order. */
const CAUSATION_HEADERS = ['x-causation-id', 'causation-id', 'causationId'] as const;

/**
 * An adapter for messages that carry their identity in AMQP properties: `type` (required), `message-id` (a
 * synthetic per-delivery id when absent), `correlation-id` (default: the business key), `x-causation-id` header;
 * the payload is the JSON body (or undefined when the body is not JSON). `key` is a path into the body
 * (`orderId`) or a `$…` message path.
 */
export function amqpPropertiesAdapter(options: { readonly key?: string | undefined } = {}): EnvelopeAdapter {
  return {
    read(message) {
      const eventType = asText(message.type);
      if (eventType === undefined) return undefined;
      const payload = parseJsonBody(message.body);
      const businessKey =
        options.key === undefined ? undefined : asText(readMessagePath(message, payload, options.key));
      const id = asText(message.messageId);
      const causation = CAUSATION_HEADERS.map((name) => asText(message.headers[name])).find(
        (value) => value !== undefined,
      );
      return {
        eventId: id ?? syntheticEventId(),
        ...(id === undefined ? { syntheticId: true } : {}),
        eventType,
        correlationId: asText(message.correlationId) ?? businessKey ?? '(uncorrelated)',
        causationId: causation,
        businessKey,
        timestamp: asText(message.headers['timestamp']),
        payload,
      };
    },
  };
}
