/**
 * The Transport port: the few broker operations a choreography needs. Adapters: AMQP (RabbitMQ, via
 * rabbitmq-client) and in-memory (deterministic simulation). Bodies are bytes so that poison messages
 * (invalid JSON, truncated, huge) are representable end to end.
 */

/** A message to publish. */
export interface OutgoingMessage {
  readonly routingKey: string;
  readonly body: Uint8Array;
  readonly headers?: Readonly<Record<string, unknown>>;
  /** AMQP message-id; Troupe sets it to the eventId. */
  readonly messageId?: string;
  readonly correlationId?: string;
  /** AMQP type property; Troupe sets it to the eventType. */
  readonly type?: string;
  readonly contentType?: string;
}

/** A message as delivered to a consumer. Every delivery is distinct, redeliveries included. */
export interface Delivery extends OutgoingMessage {
  readonly headers: Readonly<Record<string, unknown>>;
  readonly exchange: string;
  readonly queue: string;
  readonly deliveryTag: number;
  /** True when the broker delivered this message before without an ack. */
  readonly redelivered: boolean;
}

/**
 * What a consumer decided. `ack`: done. `requeue`: give it back (redelivered later). `reject`: refuse without
 * requeue, which the broker dead-letters through the queue's dead-letter exchange.
 */
export type DeliveryOutcome = 'ack' | 'requeue' | 'reject';

/** Handles one delivery; its outcome settles it (a throw is treated as `requeue` by the adapters). */
export type DeliveryHandler = (delivery: Delivery) => Promise<DeliveryOutcome>;

/** A queue and the routing-key patterns (`orders.#`, `payments.payment.*`) that bind it to the exchange. */
export interface QueueSpec {
  readonly name: string;
  /** Routing-key patterns; `''` for fanout and headers exchanges (a headers binding without arguments takes all). */
  readonly bindings: readonly string[];
  /** Exchange that rejected messages go to; its queue is declared by the topology too. */
  readonly deadLetterExchange?: string;
  /** Quorum queues survive broker restarts and count deliveries; classic is for throwaway queues (taps). */
  readonly kind?: 'quorum' | 'classic';
  /** Throwaway queue deleted when its consumer goes away (taps, tests). */
  readonly exclusive?: boolean;
}

/** The four AMQP exchange types. `headers` routes on header values (a binding without arguments takes all). */
export type ExchangeType = 'topic' | 'fanout' | 'direct' | 'headers';

/**
 * Exchanges and queues declared as data, so adapters can replay them after a reconnect. A queue bound to an
 * exchange the topology does not list is bound to it as it exists, never (re)declared.
 */
export interface Topology {
  readonly exchanges: readonly { readonly name: string; readonly type: ExchangeType }[];
  readonly queues: readonly (QueueSpec & { readonly exchange: string })[];
}

/** Options of `Transport.consume`. */
export interface ConsumeOptions {
  /** How many unacked deliveries the consumer may hold. */
  readonly prefetch?: number;
}

/** A running consumer. */
export interface Subscription {
  close(): Promise<void>;
}

/** The broker port every Troupe feature and reference service talks to; see the adapters for the guarantees. */
export interface Transport {
  /** Declares exchanges, queues and bindings; idempotent. */
  declare(topology: Topology): Promise<void>;
  /** Publishes and resolves once the broker confirmed the message (publisher confirms). */
  publish(exchange: string, message: OutgoingMessage): Promise<void>;
  /** Starts consuming `queue`; the handler's outcome settles each delivery. */
  consume(queue: string, handler: DeliveryHandler, options?: ConsumeOptions): Promise<Subscription>;
  /** Closes consumers and connections. */
  close(): Promise<void>;
}

/** Topic-exchange matching: `*` is one word, `#` zero or more. */
export function matchesRoutingKey(pattern: string, routingKey: string): boolean {
  const p = pattern.split('.');
  const k = routingKey.split('.');
  const match = (i: number, j: number): boolean => {
    if (i === p.length) return j === k.length;
    const word = p[i];
    if (word === '#') {
      for (let skip = j; skip <= k.length; skip++) if (match(i + 1, skip)) return true;
      return false;
    }
    if (j === k.length) return false;
    return (word === '*' || word === k[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}
