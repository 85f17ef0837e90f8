import { Connection, ConsumerStatus } from 'rabbitmq-client';
import type { AsyncMessage, Consumer, Envelope, Publisher } from 'rabbitmq-client';
import type {
  ConsumeOptions,
  Delivery,
  DeliveryHandler,
  DeliveryOutcome,
  OutgoingMessage,
  QueueSpec,
  Subscription,
  Topology,
  Transport,
} from '../transport';
import { AmqpTransportError } from './amqp-transport-error';
import { connectionName as makeConnectionName } from './connection-name';
import { planTopology } from './topology-plan';
import type { QueuePlan, TopologyPlan } from './topology-plan';
import { closed, opened } from '../../_internals/open-resources';

/** The default broker when neither the options nor `AMQP_URL` name one. */
export const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

/** Where the connection is. `reconnected` is reported once the topology has been re-declared. */
export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'reconnected' | 'closed';

/** A change of connection state, for runtimes and taps to log. */
export interface ConnectionStateEvent {
  readonly state: ConnectionState;
  readonly connectionName: string;
  readonly at: Date;
  /** Why the connection dropped (for `disconnected`). */
  readonly cause?: unknown;
}

/** Options of `AmqpTransport`; every one has a default. */
export interface AmqpTransportOptions {
  /** Broker URL. Default: `AMQP_URL`, else `amqp://guest:guest@127.0.0.1:5672`. */
  readonly url?: string;
  /** Name shown in `rabbitmqctl list_connections client_properties`. Default: `connectionName('transport')`. */
  readonly connectionName?: string;
  /** Prefetch when `consume` gets none. Default 16. */
  readonly defaultPrefetch?: number;
  /** Publish attempts (the client re-opens the channel between attempts). Default 3. */
  readonly publishAttempts?: number;
  /**
   * How long an operation waits for a (re)connection before failing, ms: a publish during an outage waits this
   * long per attempt. Default 20000.
   */
  readonly acquireTimeoutMs?: number;
  /** Reconnect backoff step and ceiling, ms. Defaults 200 and 5000. */
  readonly retryLowMs?: number;
  readonly retryHighMs?: number;
  /** Connection state changes; also available through `onConnectionState`. */
  readonly onConnectionState?: (event: ConnectionStateEvent) => void;
  /**
   * Problems that do not belong to a caller's promise: a handler that threw (its delivery was requeued), a
   * consumer whose ack failed after a connection cut, a failed re-declaration. Default: printed to stderr.
   */
  readonly onError?: (error: AmqpTransportError) => void;
}

interface ActiveConsumer {
  readonly consumer: Consumer;
  readonly queue: string;
  readonly exclusive: boolean;
}

function toBytes(body: unknown): Uint8Array {
  if (body instanceof Uint8Array) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  // rabbitmq-client parses `application/json` bodies itself; valid JSON round-trips to equivalent bytes.
  return Buffer.from(JSON.stringify(body) ?? '', 'utf8');
}

function toBuffer(bytes: Uint8Array): Buffer {
  // A Buffer is required: rabbitmq-client JSON-encodes anything else. Zero-copy view over the same memory.
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function toDelivery(queue: string, msg: AsyncMessage): Delivery {
  const delivery: {
    -readonly [K in keyof Delivery]: Delivery[K];
  } = {
    exchange: msg.exchange,
    routingKey: msg.routingKey,
    queue,
    body: toBytes(msg.body),
    headers: msg.headers ?? {},
    deliveryTag: msg.deliveryTag,
    redelivered: msg.redelivered,
  };
  if (msg.messageId !== undefined) delivery.messageId = msg.messageId;
  if (msg.correlationId !== undefined) delivery.correlationId = msg.correlationId;
  if (msg.type !== undefined) delivery.type = msg.type;
  if (msg.contentType !== undefined) delivery.contentType = msg.contentType;
  return delivery;
}

const STATUS: Record<DeliveryOutcome, ConsumerStatus> = {
  ack: ConsumerStatus.ACK,
  requeue: ConsumerStatus.REQUEUE,
  reject: ConsumerStatus.DROP,
};

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The Transport port on RabbitMQ via rabbitmq-client: one named connection, one confirming publisher, one
 * channel per consumer. Topology is kept as data and re-declared after every reconnect (and each consumer
 * re-declares its own queue before resuming, so exclusive tap queues come back too). Handlers settle deliveries
 * with manual acks; a handler that throws is reported and its delivery requeued, never crashing the process.
 *
 * Bodies arrive byte-exact, with one exception: rabbitmq-client parses `application/json` bodies (without a
 * content-encoding) itself, so valid JSON is re-serialized — equal as JSON, but whitespace and number spelling may
 * differ, and duplicate keys or numbers beyond double precision are not preserved. Invalid JSON stays byte-exact.
 */
export class AmqpTransport implements Transport {
  /** The name this transport's connection carries on the broker. */
  readonly connectionName: string;
  private readonly connection: Connection;
  private readonly publisher: Publisher;
  private readonly defaultPrefetch: number;
  private readonly stateListeners = new Set<(event: ConnectionStateEvent) => void>();
  private readonly errorListeners = new Set<(error: AmqpTransportError) => void>();
  private readonly exchanges = new Map<string, Topology['exchanges'][number]>();
  private readonly queues = new Map<string, QueueSpec & { readonly exchange: string }>();
  private readonly consumers = new Set<ActiveConsumer>();
  private currentState: ConnectionState = 'connecting';
  private everConnected = false;
  private closing = false;
  /** Settles when the topology is (re-)declared on the current connection; publishes wait for it. */
  private redeclaring: Promise<void> = Promise.resolve();

  constructor(options: AmqpTransportOptions = {}) {
    this.connectionName = options.connectionName ?? makeConnectionName('transport');
    this.defaultPrefetch = options.defaultPrefetch ?? 16;
    if (options.onConnectionState) this.stateListeners.add(options.onConnectionState);
    if (options.onError) this.errorListeners.add(options.onError);
    this.connection = new Connection({
      url: options.url ?? process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL,
      connectionName: this.connectionName,
      // Without TCP_NODELAY, a publish written while an ack is unacknowledged by TCP waits for the broker's delayed
      // ACK: ~40 ms per hop on a connection that both consumes and publishes (measured by bench:assert).
      noDelay: true,
      acquireTimeout: options.acquireTimeoutMs ?? 20_000,
      retryLow: options.retryLowMs ?? 200,
      retryHigh: options.retryHighMs ?? 5000,
    });
    this.connection.on('connection', () => this.onConnected());
    this.connection.on('error', (error: unknown) => this.onConnectionError(error));
    this.publisher = this.connection.createPublisher({
      confirm: true,
      maxAttempts: options.publishAttempts ?? 3,
    });
    this.publisher.on('retry', () => undefined);
    opened(this); // troupe/jest and troupe/vitest close a connection a test left open
  }

  /** The latest connection state. */
  get state(): ConnectionState {
    return this.currentState;
  }

  /** Subscribes to connection state changes; returns the unsubscribe function. */
  onConnectionState(listener: (event: ConnectionStateEvent) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Subscribes to background errors (see `AmqpTransportOptions.onError`); returns the unsubscribe function. */
  onError(listener: (error: AmqpTransportError) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /** Resolves once connected (or rejects with `connection-lost` after `timeoutMs`). */
  async connected(timeoutMs = 10_000): Promise<void> {
    try {
      await this.connection.onConnect(timeoutMs, true);
    } catch (cause) {
      throw new AmqpTransportError('connection-lost', `could not connect ${this.connectionName}`, { cause });
    }
  }

  async declare(topology: Topology): Promise<void> {
    this.assertOpen('declare');
    const plan = planTopology(topology); // validates before anything is sent
    await this.redeclaring;
    await this.run(plan);
    // Remembered only once the broker accepted it: a refused declaration must not poison every re-declaration.
    for (const exchange of topology.exchanges) this.exchanges.set(exchange.name, exchange);
    for (const queue of topology.queues) this.queues.set(queue.name, queue);
  }

  async publish(exchange: string, message: OutgoingMessage): Promise<void> {
    this.assertOpen('publish');
    await this.redeclaring;
    const envelope: Envelope = { exchange, routingKey: message.routingKey, durable: true };
    if (message.headers !== undefined) envelope.headers = { ...message.headers };
    if (message.messageId !== undefined) envelope.messageId = message.messageId;
    if (message.correlationId !== undefined) envelope.correlationId = message.correlationId;
    if (message.type !== undefined) envelope.type = message.type;
    if (message.contentType !== undefined) envelope.contentType = message.contentType;
    try {
      await this.publisher.send(envelope, toBuffer(message.body));
    } catch (cause) {
      throw new AmqpTransportError(
        'publish-failed',
        `publish to exchange ${JSON.stringify(exchange)} with routing key ${JSON.stringify(message.routingKey)} ` +
          `was not confirmed: ${describe(cause)}`,
        { cause },
      );
    }
  }

  async consume(
    queue: string,
    handler: DeliveryHandler,
    options: ConsumeOptions = {},
  ): Promise<Subscription> {
    this.assertOpen('consume');
    const prefetch = options.prefetch ?? this.defaultPrefetch;
    if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 65_535) {
      throw new RangeError(
        `consume(${JSON.stringify(queue)}): prefetch must be an integer 1..65535, got ${prefetch}`,
      );
    }
    await this.redeclaring;
    const plan = this.queuePlan(queue);
    const consumer = this.connection.createConsumer(
      {
        queue,
        // Known queue: re-declare it with its bindings on every (re)connect. Unknown: it must already exist.
        queueOptions: plan
          ? { ...plan.declaration, arguments: { ...plan.declaration.arguments } }
          : { passive: true },
        exchanges: plan ? plan.exchanges.map((e) => ({ ...e })) : [],
        queueBindings: plan ? plan.bindings.map((b) => ({ ...b })) : [],
        qos: { prefetchCount: prefetch },
        concurrency: prefetch,
        requeue: true,
        lazy: true,
      },
      async (msg: AsyncMessage) => {
        const delivery = toDelivery(queue, msg);
        let outcome: DeliveryOutcome;
        try {
          outcome = await handler(delivery);
        } catch (cause) {
          this.report(
            new AmqpTransportError(
              'handler-failed',
              `handler for queue ${JSON.stringify(queue)} threw on delivery ${delivery.deliveryTag} ` +
                `(${delivery.routingKey}); requeued: ${describe(cause)}`,
              { cause },
            ),
          );
          return ConsumerStatus.REQUEUE;
        }
        const status = Object.hasOwn(STATUS, outcome) ? STATUS[outcome] : undefined;
        if (status !== undefined) return status;
        // rabbitmq-client acks anything it does not know; never let a typo ack a message silently.
        this.report(
          new AmqpTransportError(
            'handler-failed',
            `handler for queue ${JSON.stringify(queue)} returned ${JSON.stringify(outcome)}, ` +
              `not 'ack' | 'requeue' | 'reject'; requeued`,
          ),
        );
        return ConsumerStatus.REQUEUE;
      },
    );
    const active: ActiveConsumer = { consumer, queue, exclusive: plan?.declaration.exclusive === true };
    await new Promise<void>((resolve, reject) => {
      const onReady = (): void => {
        consumer.off('error', onFirstError);
        consumer.on('error', (cause: unknown) =>
          this.report(
            new AmqpTransportError(
              'consumer-error',
              `consumer of ${JSON.stringify(queue)}: ${describe(cause)}`,
              {
                cause,
              },
            ),
          ),
        );
        resolve();
      };
      const onFirstError = (cause: unknown): void => {
        consumer.off('ready', onReady);
        consumer.on('error', () => undefined); // the close below may still emit
        void consumer.close();
        reject(
          new AmqpTransportError(
            'consume-failed',
            `cannot consume queue ${JSON.stringify(queue)}: ${describe(cause)}`,
            {
              cause,
            },
          ),
        );
      };
      consumer.once('ready', onReady);
      consumer.once('error', onFirstError);
      consumer.start();
    });
    if (this.closing) {
      // close() has already closed the consumers it knew of; this one's channel would keep it waiting forever.
      await consumer.close();
      throw new AmqpTransportError(
        'closed',
        `consume(${JSON.stringify(queue)}) was still starting when ${this.connectionName} was closed`,
      );
    }
    this.consumers.add(active);
    return { close: () => this.stopConsumer(active) };
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    closed(this);
    await Promise.allSettled([...this.consumers].map((c) => this.stopConsumer(c)));
    await this.publisher.close().catch(() => undefined);
    await this.redeclaring.catch(() => undefined);
    await this.connection.close();
    this.setState('closed');
  }

  private async stopConsumer(active: ActiveConsumer): Promise<void> {
    if (!this.consumers.delete(active)) return;
    await active.consumer.close();
    // An exclusive tap queue is gone with its consumer: do not resurrect it on the next reconnect.
    if (active.exclusive) this.queues.delete(active.queue);
  }

  private queuePlan(queue: string): QueuePlan | undefined {
    if (this.queues.size === 0) return undefined;
    return this.rememberedPlan().queues.find((q) => q.declaration.queue === queue);
  }

  private rememberedPlan(): TopologyPlan {
    return planTopology({ exchanges: [...this.exchanges.values()], queues: [...this.queues.values()] });
  }

  private async run(plan: TopologyPlan): Promise<void> {
    let channel: Awaited<ReturnType<Connection['acquire']>>;
    try {
      channel = await this.connection.acquire();
    } catch (cause) {
      throw new AmqpTransportError(
        'declare-failed',
        `no channel to declare topology on: ${describe(cause)}`,
        {
          cause,
        },
      );
    }
    try {
      for (const exchange of plan.exchanges) await channel.exchangeDeclare({ ...exchange });
      for (const queue of plan.queues) {
        await channel.queueDeclare({ ...queue.declaration, arguments: { ...queue.declaration.arguments } });
      }
      for (const queue of plan.queues)
        for (const binding of queue.bindings) await channel.queueBind({ ...binding });
    } catch (cause) {
      throw new AmqpTransportError('declare-failed', `declaring topology failed: ${describe(cause)}`, {
        cause,
      });
    } finally {
      if (channel.active) await channel.close().catch(() => undefined);
    }
  }

  private onConnected(): void {
    if (!this.everConnected) {
      this.everConnected = true;
      this.setState('connected');
      return;
    }
    // Re-declare before anything is published on the new connection; consumers re-declare their own queue.
    this.redeclaring = this.run(this.rememberedPlan()).then(
      () => this.setState('reconnected'),
      (error: unknown) => {
        this.report(
          error instanceof AmqpTransportError
            ? error
            : new AmqpTransportError('declare-failed', 're-declaring topology failed', { cause: error }),
        );
        this.setState('reconnected');
      },
    );
  }

  private onConnectionError(cause: unknown): void {
    if (this.closing) return;
    if (this.currentState !== 'disconnected' && this.currentState !== 'connecting') {
      this.setState('disconnected', cause);
    }
    this.report(
      new AmqpTransportError('connection-lost', `connection ${this.connectionName}: ${describe(cause)}`, {
        cause,
      }),
    );
  }

  private setState(state: ConnectionState, cause?: unknown): void {
    this.currentState = state;
    const event: ConnectionStateEvent =
      cause === undefined
        ? { state, connectionName: this.connectionName, at: new Date() }
        : { state, connectionName: this.connectionName, at: new Date(), cause };
    for (const listener of this.stateListeners) {
      try {
        listener(event);
      } catch {
        // A logging listener must not break the connection handling.
      }
    }
  }

  private report(error: AmqpTransportError): void {
    if (this.errorListeners.size === 0) {
      console.error(`[troupe amqp] ${error.code}: ${error.message}`);
      return;
    }
    for (const listener of this.errorListeners) {
      try {
        listener(error);
      } catch {
        // A reporting listener must not break message handling.
      }
    }
  }

  private assertOpen(operation: string): void {
    if (this.closing) {
      throw new AmqpTransportError(
        'closed',
        `${operation} called on closed transport ${this.connectionName}`,
      );
    }
  }
}
