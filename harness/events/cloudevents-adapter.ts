import type { AdaptedMessage, EnvelopeAdapter } from './envelope-adapter';
import { asText, parseJsonBody, readMessagePath } from './message-path';
import { syntheticEventId } from './synthetic-event-id';

/** Application-property prefixes of CloudEvents attributes in binary mode (AMQP binding; `_` for JMS bridges). */
const BINARY_PREFIXES = ['cloudEvents:', 'cloudEvents_', 'cloudevents:', 'cloudevents_'] as const;

/**
 * An adapter for CloudEvents over AMQP (the CloudEvents AMQP protocol binding), both modes, detected per message:
 * - structured: content-type `application/cloudevents+json` (or a JSON body with `specversion`), the body is the
 *   event;
 * - binary: attributes in application properties (`cloudEvents:type`, `cloudEvents:id`, …), the body is `data`
 *   (parsed when JSON).
 *
 * The payload the harness sees is the event as one JSON object (`{ specversion, id, type, source, data, … }`), so
 * `key` and invariant paths read `data.orderId`. Correlation and causation come from the `correlationid` and
 * `causationid` extension attributes; correlation falls back to the business key. An event without `id` gets a
 * synthetic per-delivery id; a message that is neither mode is unreadable.
 */
export function cloudEventsAdapter(options: { readonly key?: string | undefined } = {}): EnvelopeAdapter {
  return {
    read(message) {
      const event = structured(message) ?? binary(message);
      if (event === undefined) return undefined;
      const eventType = asText(event['type']);
      if (eventType === undefined) return undefined;
      const id = asText(event['id']);
      const businessKey =
        options.key === undefined ? undefined : asText(readMessagePath(message, event, options.key));
      return {
        eventId: id ?? syntheticEventId(),
        ...(id === undefined ? { syntheticId: true } : {}),
        eventType,
        correlationId: asText(event['correlationid']) ?? businessKey ?? '(uncorrelated)',
        causationId: asText(event['causationid']),
        businessKey,
        timestamp: asText(event['time']),
        payload: event,
      };
    },
  };
}

function structured(message: AdaptedMessage): Record<string, unknown> | undefined {
  const declared = message.contentType?.toLowerCase().startsWith('application/cloudevents+json') ?? false;
  if (!declared && BINARY_PREFIXES.some((prefix) => `${prefix}specversion` in message.headers))
    return undefined;
  const body = parseJsonBody(message.body);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const record = body as Record<string, unknown>;
  return declared || typeof record['specversion'] === 'string' ? record : undefined;
}

function binary(message: AdaptedMessage): Record<string, unknown> | undefined {
  const event: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    const prefix = BINARY_PREFIXES.find((p) => name.startsWith(p));
    if (prefix !== undefined) event[name.slice(prefix.length).toLowerCase()] = asText(value) ?? value;
  }
  if (event['specversion'] === undefined && event['type'] === undefined) return undefined;
  if (message.contentType !== undefined) event['datacontenttype'] = message.contentType;
  const json = parseJsonBody(message.body);
  event['data'] = json !== undefined ? json : Buffer.from(message.body).toString('utf8');
  return event;
}
