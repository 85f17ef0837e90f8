import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Connection } from 'rabbitmq-client';
import { connectionName } from '../../transport/amqp/connection-name';
import type { Delivery, Subscription, Transport } from '../../transport/transport';
import { queueStats, queuesConsumedBy, type RabbitmqctlAccess } from '../_internals/broker-topology';
import { ContractError } from '../contract-error';
import { runContractActions, type ContractActions } from './contract-action';

/** How to verify a consumer Troupe did not write, by delivering each pact message to it through the broker. */
export interface DeliveryConsumerSpec {
  /** The consumer's name in the pacts. */
  readonly consumer: string;
  /**
   * Its real queue: the pact's message is published to the exchange and must reach it by the real binding. A
   * server-named queue (`amq.gen-…`) is found by the consumer's connection name instead (`{ connection: prefix }`).
   */
  readonly queue: string | { readonly connection: string };
  /** The real exchange for the pact's `exchange` metadata (a deployment may prefix it). Default: as is. */
  readonly exchangeFor?: (contractExchange: string | undefined) => string;
  /** After the ack: a probe of the consumer's state (`{{description}}`, `{{eventType}}` are variables). */
  readonly probe?: ContractActions;
  /** How long after the ack the consumer must stay up (ms). Default 300. */
  readonly settleMs?: number;
  /** How long the consumer may take to settle the message (ms). Default 10 000. */
  readonly timeoutMs?: number;
  /** Whether the consumer's process is still the one that was running (a target service: running, not restarted). */
  readonly alive?: () => boolean;
}

/** What happened to one pact message. */
export type DeliveryOutcome =
  'acked' | 'rejected' | 'crashed' | 'not-settled' | 'probe-failed' | 'not-delivered';

/** The verdict for one interaction. */
export interface DeliveryVerdict {
  readonly consumer: string;
  readonly provider: string;
  readonly description: string;
  readonly outcome: DeliveryOutcome;
  readonly ok: boolean;
  /** What was observed, for the report. */
  readonly detail: string;
}

/** The result of verifying one consumer by delivery. */
export interface DeliveryReport {
  readonly consumer: string;
  readonly ok: boolean;
  readonly interactions: readonly DeliveryVerdict[];
}

/** Options of `verifyConsumerByDelivery`. */
export interface DeliveryVerificationOptions {
  /** A transport onto the consumer's broker (publishes the messages, taps the dead-letter exchange). */
  readonly transport: Transport;
  /** AMQP URL of the same broker (for passive queue checks). Default: `AMQP_URL`, else local. */
  readonly url?: string;
  readonly spec: DeliveryConsumerSpec;
  /** Pact files whose consumer is `spec.consumer`. */
  readonly pactFiles: readonly string[];
  readonly rabbitmqctl?: RabbitmqctlAccess;
}

interface PactMessage {
  readonly provider: string;
  readonly description: string;
  readonly content: unknown;
  readonly metadata: Readonly<Record<string, unknown>>;
}

/**
 * The consumer side of a pact, verified black-box: each pact message is published to the exchange its metadata
 * names, with its routing key, content type and headers, so it reaches the consumer through its real queue and
 * binding. It passes when the consumer acked it — not rejected (dead-lettered), not left unsettled, not followed
 * by the consumer's crash or restart (its consumer count dropped, its process changed) — and the probe, if any,
 * agrees. One message at a time, on a queue that is otherwise quiet.
 */
export async function verifyConsumerByDelivery(
  options: DeliveryVerificationOptions,
): Promise<DeliveryReport> {
  const { transport } = options;
  const spec = { ...options.spec, queue: await resolveQueue(options.spec, options.rabbitmqctl) };
  const messages = options.pactFiles.flatMap((file) => pactMessages(file, spec.consumer));
  const inspector = new Connection({
    url: options.url ?? process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672',
    connectionName: connectionName('contracts-delivery'),
  });
  const deadLettered = new Set<string>();
  const exclusive = new Set<string>();
  const last: { counters?: Counters | undefined } = {};
  let tap: Subscription | undefined;
  try {
    const stats = await queueStats(spec.queue, options.rabbitmqctl);
    if (!stats) {
      throw new ContractError(
        'delivery-failed',
        `${spec.consumer}: queue "${spec.queue}" does not exist (is it running?)`,
      );
    }
    last.counters = { ready: stats.ready, consumers: stats.consumers, unacknowledged: stats.unacknowledged };
    const dlx = stats.arguments['x-dead-letter-exchange'];
    if (typeof dlx === 'string' && dlx !== '') {
      tap = await tapDeadLetters(
        transport,
        dlx,
        stats.arguments['x-dead-letter-routing-key'],
        messages,
        (id) => deadLettered.add(id),
      );
    }
    const verdicts: DeliveryVerdict[] = [];
    for (const message of messages) {
      verdicts.push(
        await deliverOne(message, {
          ...options,
          spec,
          inspector,
          deadLettered,
          hasDlx: tap !== undefined,
          exclusive,
          last,
        }),
      );
    }
    return { consumer: spec.consumer, ok: verdicts.every((verdict) => verdict.ok), interactions: verdicts };
  } finally {
    await tap?.close();
    await inspector.close();
  }
}

async function deliverOne(
  message: PactMessage,
  context: Omit<DeliveryVerificationOptions, 'spec'> & {
    readonly spec: DeliveryConsumerSpec & { readonly queue: string };
    readonly inspector: Connection;
    readonly deadLettered: ReadonlySet<string>;
    readonly hasDlx: boolean;
    /** Queues a passive declare cannot read (exclusive to the consumer's connection). */
    readonly exclusive: Set<string>;
    /** The counters the previous interaction ended with. */
    readonly last: { counters?: Counters | undefined };
  },
): Promise<DeliveryVerdict> {
  const { spec, transport, inspector } = context;
  const verdict = (outcome: DeliveryOutcome, detail: string): DeliveryVerdict => ({
    consumer: spec.consumer,
    provider: message.provider,
    description: message.description,
    outcome,
    ok: outcome === 'acked',
    detail,
  });
  // A passive declare is fast, but an exclusive queue (a server-named one, usually) refuses other connections:
  // then only rabbitmqctl can read its counters.
  const counters = async (): Promise<Counters> => {
    if (!context.exclusive.has(spec.queue)) {
      try {
        const { messageCount, consumerCount } = await inspector.queueDeclare({
          queue: spec.queue,
          passive: true,
        });
        return { ready: messageCount, consumers: consumerCount };
      } catch (error) {
        if (!/RESOURCE_LOCKED/.test(String(error))) throw error;
        context.exclusive.add(spec.queue);
      }
    }
    const stats = await queueStats(spec.queue, context.rabbitmqctl);
    return {
      ready: stats?.ready ?? 0,
      consumers: stats?.consumers ?? 0,
      unacknowledged: stats?.unacknowledged ?? 0,
    };
  };
  // The last interaction's final counters are this one's baseline (rabbitmqctl is slow: ~2 s a call).
  const before = context.last.counters ?? (await counters());
  if (before.consumers === 0)
    return verdict('not-delivered', `no consumer on ${spec.queue}: is ${spec.consumer} running?`);
  if (before.ready > 0) {
    return verdict(
      'not-delivered',
      `${spec.queue} holds ${before.ready} message(s) already: needs a quiet queue`,
    );
  }
  const { exchange: contractExchange, routingKey, contentType, ...headers } = message.metadata;
  const exchange = (spec.exchangeFor ?? ((name) => name ?? ''))(
    typeof contractExchange === 'string' ? contractExchange : undefined,
  );
  const messageId = `troupe-contract-${randomBytes(6).toString('hex')}`;
  await transport.publish(exchange, {
    routingKey: typeof routingKey === 'string' ? routingKey : '',
    body: Buffer.from(
      typeof message.content === 'string' ? message.content : JSON.stringify(message.content),
    ),
    contentType: typeof contentType === 'string' ? contentType : 'application/json',
    messageId,
    headers: Object.fromEntries(
      Object.entries(headers).filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value)),
    ),
  });
  const where = `${exchange || '(default exchange)'} / ${typeof routingKey === 'string' ? routingKey : ''}`;
  const timeoutMs = spec.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  const crashed = (): boolean => spec.alive?.() === false;
  let delivered = false;
  for (;;) {
    const now = await counters();
    if (context.deadLettered.has(messageId))
      return verdict('rejected', `rejected and dead-lettered (sent to ${where})`);
    if (crashed() || now.consumers < before.consumers) {
      return verdict(
        'crashed',
        `the consumer went away while handling it (consumers on ${spec.queue}: ${now.consumers})`,
      );
    }
    if (Date.now() > deadline) {
      return verdict(
        delivered ? 'not-settled' : 'not-delivered',
        delivered
          ? `not acked within ${timeoutMs} ms (held unacknowledged, or requeued)`
          : `still in ${spec.queue} after ${timeoutMs} ms: the consumer did not take it`,
      );
    }
    if (now.ready === 0) {
      delivered = true;
      // Handed over; only the broker can say whether it is still unacknowledged.
      const unacknowledged =
        now.unacknowledged ?? (await queueStats(spec.queue, context.rabbitmqctl))?.unacknowledged;
      if (context.deadLettered.has(messageId))
        return verdict('rejected', `rejected and dead-lettered (sent to ${where})`);
      if (unacknowledged === 0) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // Acked — or rejected without a dead-letter exchange, which the broker cannot tell apart.
  await new Promise((resolve) => setTimeout(resolve, spec.settleMs ?? 300));
  // A process handle says whether the consumer survived; without one (or on a named queue, where it is cheap),
  // its consumer count does.
  const cheap = !context.exclusive.has(spec.queue);
  const after = cheap || spec.alive === undefined ? await counters() : before;
  context.last.counters = cheap ? after : undefined;
  if (context.deadLettered.has(messageId))
    return verdict('rejected', `rejected and dead-lettered (sent to ${where})`);
  if (crashed() || after.consumers < before.consumers) {
    return verdict(
      'crashed',
      `the consumer went away right after it (consumers on ${spec.queue}: ${after.consumers})`,
    );
  }
  if (spec.probe) {
    try {
      await runContractActions(
        spec.probe,
        { variables: { description: message.description, consumer: spec.consumer }, transport },
        `probe of ${spec.consumer}`,
      );
    } catch (error) {
      return verdict('probe-failed', error instanceof Error ? error.message : String(error));
    }
  }
  const caveat = context.hasDlx
    ? ''
    : ' (no dead-letter exchange on the queue: a reject would look the same)';
  return verdict('acked', `acked from ${spec.queue} (sent to ${where})${caveat}`);
}

/** A queue's counters; `unacknowledged` only when rabbitmqctl read them (a passive declare does not tell). */
interface Counters {
  readonly ready: number;
  readonly consumers: number;
  readonly unacknowledged?: number;
}

async function resolveQueue(
  spec: DeliveryConsumerSpec,
  access: RabbitmqctlAccess | undefined,
): Promise<string> {
  if (typeof spec.queue === 'string') return spec.queue;
  const queues = await queuesConsumedBy(spec.queue.connection, access);
  if (queues.length !== 1) {
    throw new ContractError(
      'delivery-failed',
      `${spec.consumer}: ${queues.length === 0 ? 'no queue is' : `${queues.length} queues (${queues.join(', ')}) are`} ` +
        `consumed over a connection named ${spec.queue.connection}…; name the queue instead`,
    );
  }
  return queues[0] as string;
}

async function tapDeadLetters(
  transport: Transport,
  exchange: string,
  routingKey: unknown,
  messages: readonly PactMessage[],
  onDeadLetter: (messageId: string) => void,
): Promise<Subscription> {
  const queue = `troupe.contracts-dlx.${randomBytes(4).toString('hex')}`;
  // Bound for any exchange type: '#' (topic), '' (fanout), the dead-letter and the original routing keys (direct).
  const keys = new Set(['#', '']);
  if (typeof routingKey === 'string') keys.add(routingKey);
  for (const message of messages) {
    if (typeof message.metadata['routingKey'] === 'string') keys.add(message.metadata['routingKey']);
  }
  await transport.declare({
    exchanges: [],
    queues: [{ name: queue, exchange, bindings: [...keys], kind: 'classic', exclusive: true }],
  });
  return transport.consume(queue, (delivery: Delivery) => {
    if (delivery.messageId) onDeadLetter(delivery.messageId);
    return Promise.resolve('ack');
  });
}

function pactMessages(file: string, consumer: string): PactMessage[] {
  const pact = JSON.parse(readFileSync(file, 'utf8')) as {
    consumer?: { name?: string };
    provider?: { name?: string };
    interactions?: {
      type?: string;
      description?: string;
      contents?: { content?: unknown };
      metadata?: Record<string, unknown>;
    }[];
  };
  if (pact.consumer?.name !== consumer) {
    throw new ContractError(
      'delivery-failed',
      `${file} is a pact of ${pact.consumer?.name}, not of ${consumer}`,
    );
  }
  return (pact.interactions ?? [])
    .filter((interaction) => interaction.type === 'Asynchronous/Messages')
    .map((interaction) => ({
      provider: pact.provider?.name ?? '',
      description: interaction.description ?? '',
      content: interaction.contents?.content,
      metadata: interaction.metadata ?? {},
    }));
}
