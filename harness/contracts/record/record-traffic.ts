import { randomBytes } from 'node:crypto';
import type { TargetExchange } from '../../target/target';
import type { Delivery, Subscription, Transport } from '../../transport/transport';
import type { QueueBinding } from '../_internals/broker-topology';
import { ContractError } from '../contract-error';

/** One publication the recorder saw, as it travelled. */
export interface RecordedMessage {
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: Uint8Array;
  readonly contentType?: string;
  /** The AMQP `type` property, when the producer set it. */
  readonly type?: string;
  readonly headers: Readonly<Record<string, unknown>>;
  /** Epoch ms. */
  readonly at: number;
}

/** Options of `recordTraffic`. */
export interface RecordTrafficOptions {
  /** A transport onto the system's broker (the recorder declares one exclusive queue per exchange). */
  readonly transport: Transport;
  /** The exchanges to tap (the default exchange cannot be tapped: messages sent straight to a queue are missed). */
  readonly exchanges: readonly TargetExchange[];
  /** The broker's bindings: a direct exchange is tapped with every routing key a queue binds it with. */
  readonly bindings: readonly QueueBinding[];
  /** Record for this long at most (ms). */
  readonly durationMs: number;
  /** Stop earlier once this holds (checked after each message). */
  readonly until?: (messages: readonly RecordedMessage[]) => boolean;
  readonly signal?: AbortSignal;
}

/** A running recorder: armed (its queues bound and consuming) when `startTrafficRecorder` resolves. */
export interface TrafficRecorder extends AsyncDisposable {
  /** Resolves with every publication seen, in order, when the duration is up, `until` held, or `stop()`. */
  readonly finished: Promise<RecordedMessage[]>;
  /** Stops now; resolves like `finished`. Idempotent. */
  stop(): Promise<RecordedMessage[]>;
}

/**
 * Taps the exchanges of a running system for a while — one exclusive queue per exchange, bound to everything
 * (`#`, the fanout itself, a headers binding without arguments, each direct routing key in use) — and collects
 * every publication it sees. It resolves once armed, so a stimulus sent afterwards cannot slip past. The tap only
 * reads: it acks what it recorded, never touches the services' queues, and its queues are gone when it stops.
 */
export async function startTrafficRecorder(options: RecordTrafficOptions): Promise<TrafficRecorder> {
  const messages: RecordedMessage[] = [];
  const subscriptions: Subscription[] = [];
  const suffix = randomBytes(4).toString('hex');
  let finish: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (finish = resolve));
  const record = (delivery: Delivery): Promise<'ack'> => {
    messages.push({
      exchange: delivery.exchange,
      routingKey: delivery.routingKey,
      body: delivery.body,
      ...(delivery.contentType !== undefined ? { contentType: delivery.contentType } : {}),
      ...(delivery.type !== undefined ? { type: delivery.type } : {}),
      headers: delivery.headers,
      at: Date.now(),
    });
    if (options.until?.(messages)) finish();
    return Promise.resolve('ack');
  };
  const close = (): Promise<unknown> =>
    Promise.allSettled(subscriptions.map((subscription) => subscription.close()));
  try {
    for (const exchange of options.exchanges) {
      const queue = `troupe.record.${exchange.name}.${suffix}`;
      const keys = bindingKeys(exchange, options.bindings);
      if (keys.length === 0) continue;
      await options.transport.declare({
        exchanges: [],
        queues: [{ name: queue, exchange: exchange.name, bindings: keys, kind: 'classic', exclusive: true }],
      });
      subscriptions.push(await options.transport.consume(queue, record, { prefetch: 200 }));
    }
  } catch (error) {
    await close();
    throw new ContractError('record-failed', 'could not tap the exchanges to record', { cause: error });
  }
  const timer = setTimeout(finish, options.durationMs);
  const onAbort = (): void => finish();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const finished = ended.then(async () => {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    await close();
    return [...messages].sort((a, b) => a.at - b.at);
  });
  const stop = (): Promise<RecordedMessage[]> => {
    finish();
    return finished;
  };
  return {
    finished,
    stop,
    [Symbol.asyncDispose]: async () => {
      await stop();
    },
  };
}

/** The routing keys to bind a recorder queue with, so that it sees what the system's queues see. */
function bindingKeys(exchange: TargetExchange, bindings: readonly QueueBinding[]): string[] {
  if (exchange.type === 'topic') return ['#'];
  if (exchange.type === 'fanout' || exchange.type === 'headers') return [''];
  const keys = new Set(exchange.routingKeys ?? []);
  for (const binding of bindings) if (binding.exchange === exchange.name) keys.add(binding.routingKey);
  return [...keys];
}
