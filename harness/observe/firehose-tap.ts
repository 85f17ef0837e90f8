import { randomBytes } from 'node:crypto';
import type { EnvelopeAdapter } from '../events/envelope-adapter';
import { execRabbitmqctl, type CommandRunner } from '../transport/amqp/rabbitmqctl';
import type { Delivery, Subscription, Transport } from '../transport/transport';
import { EventLog, type RecordableDelivery } from './event-log';
import { ObserveError } from './observe-error';

/** RabbitMQ's firehose exchange: with tracing on, every publish and delivery of the vhost is copied to it. */
export const FIREHOSE_EXCHANGE = 'amq.rabbitmq.trace';

export interface FirehoseTapOptions {
  /** An AMQP transport (the firehose is a RabbitMQ feature). */
  readonly transport: Transport;
  readonly adapter?: EnvelopeAdapter;
  readonly log?: EventLog;
  /**
   * Queues whose deliveries to consumers are recorded — redeliveries included — as names or routing-key patterns
   * (`troupe.shop.*`). This is how a black-box test sees a service being handed the same message twice.
   */
  readonly queues: readonly string[];
  /** Exchanges whose publications are recorded too (source `publish:<exchange>`). Default none. */
  readonly publishesTo?: readonly string[];
  /**
   * Turn tracing on for the vhost if it is off (`rabbitmqctl trace_on`), and off again on stop if this tap turned
   * it on. Default true. Tracing copies every message of the vhost to the firehose exchange; unbound copies are
   * dropped, so other clients are not disturbed, only charged a little broker CPU while it is on.
   */
  readonly manageTracing?: boolean;
  readonly vhost?: string;
  /** How to run rabbitmqctl (tests inject a fake). */
  readonly rabbitmqctl?: { readonly command?: string; readonly run?: CommandRunner };
  /**
   * Records only what this accepts (the firehose reports the whole vhost: e.g. keep default-exchange publications
   * to the system's own queues only). Default: everything bound.
   */
  readonly accept?: (delivery: RecordableDelivery) => boolean;
}

/** A running firehose tap. */
export interface StartedFirehoseTap {
  readonly log: EventLog;
  readonly queue: string;
  /** Stops consuming and restores the vhost's tracing setting. Idempotent. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Records what RabbitMQ's firehose reports: every delivery to a consumer of the watched queues (with the
 * broker's redelivered flag) and optionally every publication — without touching the services or their
 * connections. Complements `startTap`, which sees each publication once on its own queue.
 */
export async function startFirehoseTap(options: FirehoseTapOptions): Promise<StartedFirehoseTap> {
  const log = options.log ?? (options.adapter ? new EventLog({ adapter: options.adapter }) : undefined);
  if (!log) throw new ObserveError('invalid-argument', 'startFirehoseTap: pass an `adapter` (or a `log`)');
  if (options.queues.length === 0 && (options.publishesTo ?? []).length === 0) {
    throw new ObserveError('invalid-argument', 'startFirehoseTap: watch at least one queue or exchange');
  }
  const vhost = options.vhost ?? '/';
  const command = options.rabbitmqctl?.command ?? process.env['RABBITMQCTL'] ?? 'rabbitmqctl';
  const run = options.rabbitmqctl?.run ?? execRabbitmqctl;
  let turnedOn = false;
  if (options.manageTracing ?? true) {
    try {
      if (!(await tracingEnabled(run, command, vhost))) {
        await run(command, ['-q', 'trace_on', '-p', vhost]);
        turnedOn = true;
      }
    } catch (error) {
      throw new ObserveError('tap-failed', `startFirehoseTap: could not enable tracing on vhost "${vhost}"`, {
        cause: error,
      });
    }
  }
  const queue = `troupe.firehose.${randomBytes(4).toString('hex')}`;
  const bindings = [
    ...options.queues.map((name) => `deliver.${name}`),
    ...(options.publishesTo ?? []).map((name) => `publish.${name}`),
  ];
  let subscription: Subscription;
  try {
    await options.transport.declare({
      exchanges: [],
      queues: [{ name: queue, exchange: FIREHOSE_EXCHANGE, bindings, kind: 'classic', exclusive: true }],
    });
    subscription = await options.transport.consume(
      queue,
      (delivery) => {
        try {
          const reported = fromFirehose(delivery);
          if (options.accept && !options.accept(reported)) return Promise.resolve('ack');
          log.record(reported);
        } catch (error) {
          console.error(error instanceof Error ? error.message : error);
        }
        return Promise.resolve('ack');
      },
      { prefetch: 500 },
    );
  } catch (error) {
    if (turnedOn) await run(command, ['-q', 'trace_off', '-p', vhost]).catch(() => undefined);
    throw new ObserveError('tap-failed', 'startFirehoseTap: could not bind to the firehose', {
      cause: error,
    });
  }
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      try {
        await subscription.close();
      } finally {
        // Tracing costs the whole vhost broker CPU: switch it off even when the consumer would not close.
        if (turnedOn) await run(command, ['-q', 'trace_off', '-p', vhost]);
      }
    })());
  return { log, queue, stop, [Symbol.asyncDispose]: stop };
}

/**
 * Turns a firehose message back into the delivery it reports: `deliver.<queue>` → a delivery from `<queue>` with
 * the broker's redelivered flag; `publish.<exchange>` → source `publish:<exchange>`. The delivery tag is the
 * firehose queue's own (the broker does not report the consumer's tag).
 */
export function fromFirehose(delivery: Delivery): RecordableDelivery {
  const trace = delivery.headers;
  const properties = table(trace['properties']);
  const [kind, ...rest] = delivery.routingKey.split('.');
  const name = rest.join('.');
  const routingKeys = trace['routing_keys'];
  const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  const result: { -readonly [K in keyof RecordableDelivery]: RecordableDelivery[K] } = {
    body: delivery.body,
    routingKey: Array.isArray(routingKeys) && typeof routingKeys[0] === 'string' ? routingKeys[0] : '',
    headers: table(properties['headers']),
    exchange: text(trace['exchange_name']) ?? '',
    queue: kind === 'deliver' ? name : `publish:${name}`,
    deliveryTag: delivery.deliveryTag,
    redelivered: trace['redelivered'] === 1 || trace['redelivered'] === true,
  };
  const messageId = text(properties['message_id']);
  const correlationId = text(properties['correlation_id']);
  const type = text(properties['type']);
  const contentType = text(properties['content_type']);
  if (messageId !== undefined) result.messageId = messageId;
  if (contentType !== undefined) result.contentType = contentType;
  if (correlationId !== undefined) result.correlationId = correlationId;
  if (type !== undefined) result.type = type;
  return result;
}

async function tracingEnabled(run: CommandRunner, command: string, vhost: string): Promise<boolean> {
  const output = await run(command, ['-q', 'list_vhosts', 'name', 'tracing']);
  for (const line of output.split('\n')) {
    const [name, tracing] = line.trim().split('\t');
    if (name === vhost) return tracing === 'true';
  }
  throw new ObserveError('invalid-argument', `startFirehoseTap: vhost "${vhost}" not found`);
}

function table(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
