import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TargetExchange } from '../../target/target';
import { bindingRoutes, type QueueBinding } from '../_internals/broker-topology';
import type { JsonValue } from '../pact-rules/types';
import { inferContract, type InferContractOptions, type InferredField } from './infer-contract';
import type { RecordedMessage } from './record-traffic';

/** How to name who is who in recorded traffic. */
export interface TrafficNaming {
  /**
   * The consumer behind a queue, or undefined to leave the queue out. Default: the queue's last dot-separated
   * word (`box-office.payments` → `payments`); Troupe's own queues and server-named `amq.gen-…` queues are left out.
   */
  readonly consumerOf?: (queue: string) => string | undefined;
  /** The producer of a message. Default: the routing key's first word, else the exchange name. */
  readonly providerOf?: (message: RecordedMessage) => string;
  /**
   * The event type of a message. Default: the AMQP `type` property, else the body's `eventType`, `type` or
   * `event` field, else the routing key.
   */
  readonly eventTypeOf?: (message: RecordedMessage, body: JsonValue) => string;
}

/** One recorded interaction: an event type a consumer was handed, inferred from every sample. */
export interface RecordedInteraction {
  readonly eventType: string;
  readonly description: string;
  readonly samples: number;
  readonly content: JsonValue;
  readonly rules: Readonly<Record<string, unknown>>;
  readonly metadata: Readonly<Record<string, string>>;
  readonly fields: readonly InferredField[];
  /** What the skeleton could not infer, for the reviewer. */
  readonly notes: readonly string[];
}

/** A consumer pact skeleton for one consumer/provider pair. */
export interface RecordedPact {
  readonly consumer: string;
  readonly provider: string;
  readonly file: string;
  readonly interactions: readonly RecordedInteraction[];
}

/** Options of `pactsFromTraffic`. */
export interface PactsFromTrafficOptions extends TrafficNaming, InferContractOptions {
  readonly exchanges: readonly TargetExchange[];
  /** Which queues each message reached (the broker's bindings at recording time). */
  readonly bindings: readonly QueueBinding[];
}

/**
 * Consumer pact skeletons from recorded traffic: each message goes to every queue its exchange routes it to (by
 * the broker's bindings), grouped per (consumer, provider) pair and event type; each group's example and
 * matchers are inferred from all its samples. For a person to review and commit, not to trust blindly: a
 * recording only shows what happened to travel while it ran.
 */
export function pactsFromTraffic(
  messages: readonly RecordedMessage[],
  options: PactsFromTrafficOptions,
): RecordedPact[] {
  const consumerOf = options.consumerOf ?? defaultConsumerOf;
  const providerOf = options.providerOf ?? defaultProviderOf;
  const eventTypeOf = options.eventTypeOf ?? defaultEventTypeOf;
  const types = new Map(options.exchanges.map((exchange) => [exchange.name, exchange.type]));
  const groups = new Map<string, { consumer: string; provider: string; byType: Map<string, Sample[]> }>();
  const unreadable: string[] = [];
  for (const message of messages) {
    const body = parseJson(message.body);
    if (body === undefined) {
      unreadable.push(`${message.exchange}/${message.routingKey}`);
      continue;
    }
    const provider = providerOf(message);
    const eventType = eventTypeOf(message, body);
    const type = types.get(message.exchange) ?? 'topic';
    const consumers = new Set(
      options.bindings
        .filter((binding) => binding.exchange === message.exchange)
        .filter((binding) => bindingRoutes(binding, type, message.routingKey, message.headers))
        .map((binding) => consumerOf(binding.queue))
        .filter((consumer): consumer is string => consumer !== undefined && consumer !== provider),
    );
    for (const consumer of consumers) {
      const key = `${consumer}\u0000${provider}`;
      const group = groups.get(key) ?? { consumer, provider, byType: new Map<string, Sample[]>() };
      groups.set(key, group);
      group.byType.set(eventType, [...(group.byType.get(eventType) ?? []), { message, body }]);
    }
  }
  return [...groups.values()]
    .map((group): RecordedPact => ({
      consumer: group.consumer,
      provider: group.provider,
      file: `${group.consumer}-${group.provider}.json`,
      interactions: [...group.byType.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([eventType, samples]) => interactionFrom(eventType, samples, options)),
    }))
    .sort((a, b) => a.file.localeCompare(b.file));
}

interface Sample {
  readonly message: RecordedMessage;
  readonly body: JsonValue;
}

function interactionFrom(
  eventType: string,
  samples: readonly Sample[],
  options: InferContractOptions,
): RecordedInteraction {
  const contract = inferContract(
    samples.map((sample) => sample.body),
    options,
  );
  const notes = contract.looseness.map((loose) => `${loose.path}: ${loose.reason}`);
  const metadata: Record<string, string> = {};
  const same = (values: readonly (string | undefined)[], name: string): string | undefined => {
    const distinct = [...new Set(values)];
    if (distinct.length === 1 && distinct[0] !== undefined) return distinct[0];
    if (distinct.length > 1) notes.push(`metadata ${name} varied (${distinct.join(', ')}): left out`);
    return undefined;
  };
  const exchange = same(
    samples.map((sample) => sample.message.exchange),
    'exchange',
  );
  const routingKey = same(
    samples.map((sample) => sample.message.routingKey),
    'routingKey',
  );
  const contentType = same(
    samples.map((sample) => sample.message.contentType),
    'contentType',
  );
  if (exchange !== undefined) metadata['exchange'] = exchange;
  if (routingKey !== undefined) metadata['routingKey'] = routingKey;
  if (contentType !== undefined) metadata['contentType'] = contentType;
  return {
    eventType,
    description: `${eventType}: recorded from traffic`,
    samples: samples.length,
    content: contract.content,
    rules: contract.rules,
    metadata,
    fields: contract.fields,
    notes,
  };
}

/** The Pact V4 file of a recorded pact (asynchronous message interactions). */
export function recordedPactFile(pact: RecordedPact): unknown {
  return {
    consumer: { name: pact.consumer },
    provider: { name: pact.provider },
    interactions: pact.interactions.map((interaction) => ({
      type: 'Asynchronous/Messages',
      description: interaction.description,
      contents: {
        content: interaction.content,
        contentType: interaction.metadata['contentType'] ?? 'application/json',
        encoded: false,
      },
      matchingRules: { body: interaction.rules },
      metadata: interaction.metadata,
      pending: false,
      comments: {
        text: [
          `Recorded by troupe contracts record from ${interaction.samples} message(s): review before committing.`,
          ...interaction.fields.map((field) => `${field.path}: ${field.kind}`),
          ...interaction.notes,
        ],
      },
    })),
    metadata: { pactSpecification: { version: '4.0' } },
  };
}

/** Writes each recorded pact to `dir/<consumer>-<provider>.json`; returns the paths written. */
export function writeRecordedPacts(dir: string, pacts: readonly RecordedPact[]): string[] {
  mkdirSync(dir, { recursive: true });
  return pacts.map((pact) => {
    const file = path.join(dir, pact.file);
    writeFileSync(file, `${JSON.stringify(recordedPactFile(pact), null, 2)}\n`);
    return file;
  });
}

function defaultConsumerOf(queue: string): string | undefined {
  if (queue.startsWith('troupe.') || queue.startsWith('amq.')) return undefined;
  return queue.split('.').pop() || undefined;
}

function defaultProviderOf(message: RecordedMessage): string {
  const word = message.routingKey.split('.')[0];
  return message.routingKey.includes('.') && word ? word : message.exchange;
}

function defaultEventTypeOf(message: RecordedMessage, body: JsonValue): string {
  if (message.type) return message.type;
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    for (const field of ['eventType', 'type', 'event']) {
      const value = body[field];
      if (typeof value === 'string' && value !== '') return value;
    }
  }
  return message.routingKey || 'Message';
}

function parseJson(body: Uint8Array): JsonValue | undefined {
  try {
    return JSON.parse(Buffer.from(body).toString('utf8')) as JsonValue;
  } catch {
    return undefined;
  }
}
