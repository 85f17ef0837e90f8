import { z } from 'zod';
import type { EventDefinition } from '../../events/define-event';
import { eventMessageSchema } from '../pact/event-message';

/** Options of `generateAsyncApi`. */
export interface AsyncApiOptions {
  readonly title: string;
  /** The document's version (of the API, not of AsyncAPI). */
  readonly version: string;
  readonly description?: string;
  /** The topic exchange every event is published to. */
  readonly exchange: string;
  /** `host:port` of the broker, for the `servers` section. */
  readonly host?: string;
  /** Who consumes each event type (adds one `receive` operation per consumer). */
  readonly consumers?: Readonly<Record<string, readonly string[]>>;
}

/** An AsyncAPI document as plain data (serialize with `yaml` or `JSON.stringify`). */
export type AsyncApiDocument = Record<string, unknown>;

/**
 * An AsyncAPI 3.0 document of a catalog: one channel per event (its routing key on the topic exchange, with the
 * AMQP channel binding), a `send` operation for its producer and a `receive` operation per consumer, and one message
 * per event whose payload is the whole envelope, derived from the zod schema, with the catalog's example.
 */
export function generateAsyncApi(
  definitions: readonly EventDefinition[],
  options: AsyncApiOptions,
): AsyncApiDocument {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const definition of definitions) {
    const { type } = definition;
    messages[type] = {
      name: type,
      title: type,
      summary: definition.description,
      contentType: 'application/json',
      payload: withoutSchemaKeyword(
        z.toJSONSchema(eventMessageSchema(definition), { io: 'input', unrepresentable: 'any' }),
      ),
      examples: [
        {
          name: `${type}Example`,
          payload: {
            eventId: '0192f5a0-7c1e-7a3b-8d4e-000000000001',
            eventType: type,
            version: definition.version,
            timestamp: '2026-01-01T12:00:00.000Z',
            correlationId: '0192f5a0-7c1e-7a3b-8d4e-000000000002',
            causationId: '0192f5a0-7c1e-7a3b-8d4e-000000000003',
            payload: definition.example,
          },
        },
      ],
      bindings: { amqp: { contentEncoding: 'utf-8', messageType: type, bindingVersion: '0.3.0' } },
      'x-version': definition.version,
      'x-history': definition.history.map((entry) => entry.version),
    };
    channels[type] = {
      address: definition.routingKey,
      description: `${type} events on the ${options.exchange} topic exchange (routing key ${definition.routingKey}).`,
      messages: { [type]: { $ref: `#/components/messages/${type}` } },
      bindings: {
        amqp: {
          is: 'routingKey',
          exchange: { name: options.exchange, type: 'topic', durable: true, autoDelete: false, vhost: '/' },
          bindingVersion: '0.3.0',
        },
      },
    };
    operations[`${definition.producer}Publishes${type}`] = {
      action: 'send',
      title: `${definition.producer} publishes ${type}`,
      channel: { $ref: `#/channels/${type}` },
      messages: [{ $ref: `#/channels/${type}/messages/${type}` }],
    };
    for (const consumer of options.consumers?.[type] ?? []) {
      operations[`${consumer}Receives${type}`] = {
        action: 'receive',
        title: `${consumer} consumes ${type}`,
        channel: { $ref: `#/channels/${type}` },
        messages: [{ $ref: `#/channels/${type}/messages/${type}` }],
        bindings: { amqp: { ack: true, bindingVersion: '0.3.0' } },
      };
    }
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: options.title,
      version: options.version,
      ...(options.description ? { description: options.description } : {}),
    },
    defaultContentType: 'application/json',
    servers: {
      broker: { host: options.host ?? 'localhost:5672', protocol: 'amqp', protocolVersion: '0.9.1' },
    },
    channels,
    operations,
    components: { messages },
  };
}

/** AsyncAPI's default schema format is draft-07-based: drop the 2020-12 `$schema` keyword zod adds. */
function withoutSchemaKeyword(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}
