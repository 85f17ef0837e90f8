import {
  matchesRoutingKey,
  type ConsumeOptions,
  type Delivery,
  type DeliveryHandler,
  type DeliveryOutcome,
  type OutgoingMessage,
  type QueueSpec,
  type Subscription,
  type Topology,
  type Transport,
} from '../transport';
import { deadLetterQueueName } from '../dead-letter';
import { InMemoryTransportError } from './in-memory-transport-error';

/**
 * How deliveries happen. `auto`: each queue is dispatched in FIFO order to its consumers (round robin, bounded by
 * prefetch) on `setImmediate` turns — for demos and simulated scenarios. `stepped`: nothing is delivered on its
 * own; a simulator lists `pending()` messages and decides which to `deliver`, `duplicate`, hold back or redeliver.
 */
export type DriveMode = 'auto' | 'stepped';

export interface InMemoryTransportOptions {
  /** Default `auto`. */
  readonly drive?: DriveMode;
  /** Called for every transport event, synchronously and in order (timelines, debugging). */
  readonly onEvent?: (event: TransportEvent) => void;
  /** Called when a handler throws; the delivery is requeued (rabbitmq-client's default). */
  readonly onHandlerError?: (error: unknown, delivery: Delivery) => void;
  /**
   * Publisher confirms. `immediate` (default): a publish is routed and confirmed at once. `stepped`: a publish
   * waits in `pendingConfirms()` until the simulator calls `confirm(id, 'ack' | 'nack' | 'lose')`. Switchable
   * later with `setConfirms`.
   */
  readonly confirms?: ConfirmMode;
}

/** How publisher confirms happen (see `InMemoryTransportOptions.confirms`). */
export type ConfirmMode = 'immediate' | 'stepped';

/**
 * What the broker answers to a publish in stepped-confirm mode. `ack`: routed and confirmed. `nack`: refused, not
 * routed; the publish rejects. `lose`: routed, but the confirm never arrives: the publish stays pending until its
 * connection is cut (then it rejects, and the publisher will publish a duplicate).
 */
export type ConfirmOutcome = 'ack' | 'nack' | 'lose';

/** A publish waiting for its confirm (stepped confirms). `id` is stable and deterministic. */
export interface PendingConfirm {
  readonly id: number;
  readonly exchange: string;
  readonly routingKey: string;
  /** The connection it was published on (`connect(name)`), or undefined for the transport itself. */
  readonly connection: string | undefined;
  readonly message: OutgoingMessage;
  /** True once its confirm was lost: only a connection cut settles it now. */
  readonly lost: boolean;
}

/** A message waiting in a queue, as the stepped-mode simulator sees it. `id` is stable and deterministic. */
export interface PendingMessage {
  readonly id: number;
  readonly queue: string;
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: Uint8Array;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly messageId?: string;
  readonly correlationId?: string;
  readonly type?: string;
  readonly redelivered: boolean;
  /** The pending message this one was copied from by `duplicate`. */
  readonly duplicateOf?: number;
}

/**
 * What happened to a stepped delivery. `ack-lost`: the handler ran, but the ack never reached the broker (consumer
 * crashed before acking, connection cut): the message is back in the queue, flagged redelivered.
 */
export interface DeliveryStep {
  readonly id: number;
  readonly outcome: DeliveryOutcome;
  /** `connection-lost`: the connection was cut while the handler ran; the message was redelivered by the cut. */
  readonly settled: 'acked' | 'requeued' | 'dead-lettered' | 'dropped' | 'ack-lost' | 'connection-lost';
  /** Set when the handler threw (the delivery was requeued). */
  readonly error?: unknown;
}

export interface DeliverOptions {
  /** `settle` (default) applies the handler's outcome; `lose` drops the ack: the message is redelivered later. */
  readonly ack?: 'settle' | 'lose';
}

/** Something the transport did; `onEvent` receives these in order. */
export type TransportEvent =
  | {
      readonly kind: 'published';
      readonly exchange: string;
      readonly routingKey: string;
      readonly queues: readonly string[];
      readonly messageIds: readonly number[];
      /** The message as published (headers defaulted to `{}`); dead-lettered copies carry `x-death`. */
      readonly message: OutgoingMessage & { readonly headers: Readonly<Record<string, unknown>> };
      readonly deadLettered: boolean;
    }
  | {
      readonly kind: 'delivered';
      readonly id: number;
      readonly queue: string;
      readonly deliveryTag: number;
      readonly redelivered: boolean;
    }
  | {
      readonly kind: 'settled';
      readonly id: number;
      readonly queue: string;
      readonly settled: DeliveryStep['settled'];
    }
  | { readonly kind: 'duplicated'; readonly id: number; readonly copies: readonly number[] }
  | {
      /** A publish waits for its confirm (stepped confirms). */
      readonly kind: 'publish-pending';
      readonly confirm: number;
      readonly exchange: string;
      readonly connection: string | undefined;
      readonly message: OutgoingMessage;
    }
  | { readonly kind: 'confirmed'; readonly confirm: number; readonly outcome: ConfirmOutcome }
  | {
      /** A connection was cut: its unacked deliveries went back to their queues, its unconfirmed publishes failed. */
      readonly kind: 'connection-cut';
      readonly connection: string;
      readonly redelivered: readonly number[];
      readonly failedPublishes: number;
    };

/** Counters, for tests and benches. */
export interface InMemoryTransportStats {
  readonly published: number;
  readonly delivered: number;
  readonly acked: number;
  readonly requeued: number;
  readonly deadLettered: number;
  /** Unroutable publishes and rejects from queues without a dead-letter exchange. */
  readonly dropped: number;
  readonly ackLost: number;
  readonly connectionsCut: number;
  readonly nacked: number;
  readonly confirmsLost: number;
}

interface StoredMessage {
  readonly id: number;
  readonly exchange: string;
  readonly message: OutgoingMessage & { readonly headers: Readonly<Record<string, unknown>> };
  readonly redelivered: boolean;
  readonly duplicateOf?: number;
}

interface ConsumerState {
  readonly handler: DeliveryHandler;
  readonly prefetch: number;
  readonly connection: string | undefined;
  inFlight: number;
  closed: boolean;
  drained: (() => void)[];
  /** Deliveries handed to the handler and not settled yet, by delivery tag (a cut redelivers them). */
  readonly unacked: Map<number, { readonly queue: QueueState; readonly stored: StoredMessage }>;
}

interface ConfirmState {
  readonly id: number;
  readonly exchange: string;
  readonly connection: string | undefined;
  readonly message: StoredMessage['message'];
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  lost: boolean;
}

interface QueueState {
  readonly spec: QueueSpec;
  /** Bound (exchange, pattern) pairs. */
  readonly bindings: { exchange: string; pattern: string }[];
  ready: StoredMessage[];
  consumers: ConsumerState[];
  nextConsumer: number;
}

type ExchangeType = Topology['exchanges'][number]['type'];

/**
 * A deterministic in-memory `Transport`: topic/direct/fanout exchanges, queues and bindings, the default exchange
 * (`''` routes to the queue named by the routing key), reject → dead-letter exchange (with `x-death` headers),
 * requeue → redelivered, prefetch, and trivially immediate publisher confirms. No randomness and no clock inside:
 * the same calls produce the same deliveries in the same order.
 */
export class InMemoryTransport implements Transport {
  readonly drive: DriveMode;
  private readonly exchanges = new Map<string, ExchangeType>();
  private readonly queues = new Map<string, QueueState>();
  /**
   * Routing cache: (exchange, routing key) → queues, shared by every transport with the same topology (the
   * simulator builds thousands). Re-selected whenever exchanges, queues or bindings change.
   */
  private routes = new Map<string, readonly string[]>();
  private routesDirty = true;
  private readonly onEvent: ((event: TransportEvent) => void) | undefined;
  private readonly onHandlerError: ((error: unknown, delivery: Delivery) => void) | undefined;
  private nextMessageId = 1;
  private nextDeliveryTag = 1;
  /** What its named connections call (made once, on the first `connect`). */
  private asBroker: ConnectionBroker | undefined;
  private inFlight = 0;
  private pumpScheduled = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private confirmMode: ConfirmMode;
  private readonly confirms = new Map<number, ConfirmState>();
  private nextConfirmId = 1;
  private readonly counters = {
    published: 0,
    delivered: 0,
    acked: 0,
    requeued: 0,
    deadLettered: 0,
    dropped: 0,
    ackLost: 0,
    connectionsCut: 0,
    nacked: 0,
    confirmsLost: 0,
  };

  constructor(options: InMemoryTransportOptions = {}) {
    this.drive = options.drive ?? 'auto';
    this.confirmMode = options.confirms ?? 'immediate';
    this.onEvent = options.onEvent;
    this.onHandlerError = options.onHandlerError;
  }

  /** Declares exchanges, then queues and their bindings. Idempotent; a conflicting redeclaration fails. */
  declare(topology: Topology): Promise<void> {
    try {
      this.assertOpen('declare');
      this.routesDirty = true;
      for (const exchange of topology.exchanges) {
        const existing = this.exchanges.get(exchange.name);
        if (existing !== undefined && existing !== exchange.type) {
          throw new InMemoryTransportError(
            'precondition-failed',
            `Exchange "${exchange.name}" exists as ${existing}, cannot redeclare it as ${exchange.type}`,
          );
        }
        this.exchanges.set(exchange.name, exchange.type);
      }
      for (const queue of topology.queues) this.declareQueue(queue);
      // Like the AMQP adapter: every queue with a dead-letter exchange gets its DLQ, keyed by the queue's name.
      for (const queue of topology.queues) {
        const dlx = queue.deadLetterExchange;
        if (dlx === undefined || !this.exchanges.has(dlx)) continue;
        const name = deadLetterQueueName(queue.name);
        const existing = this.queues.get(name);
        if (!existing) {
          this.declareQueue({
            name,
            exchange: dlx,
            bindings: [queue.name],
            ...(queue.kind ? { kind: queue.kind } : {}),
          });
        } else if (!existing.bindings.some((b) => b.exchange === dlx && b.pattern === queue.name)) {
          existing.bindings.push({ exchange: dlx, pattern: queue.name });
          this.routesDirty = true;
        }
      }
      return Promise.resolve();
    } catch (error) {
      return rejected(error);
    }
  }

  /**
   * Routes the message to every bound queue and resolves (immediate confirms), or waits for the simulator's
   * `confirm` (stepped confirms).
   */
  publish(exchange: string, message: OutgoingMessage): Promise<void> {
    return this.publishOn(undefined, exchange, message);
  }

  consume(queue: string, handler: DeliveryHandler, options: ConsumeOptions = {}): Promise<Subscription> {
    return this.consumeOn(undefined, queue, handler, options);
  }

  /**
   * A named connection to this broker: a `Transport` whose consumers and publishes `cut(name)` disturbs as a lost
   * TCP connection would — one per service instance or relay, as in production. It heals by itself (consumers
   * stay subscribed, like rabbitmq-client's recovery). Closing it closes only its consumers.
   */
  connect(name: string): Transport {
    this.asBroker ??= {
      declare: (topology) => this.declare(topology),
      publishOn: (connection, exchange, message) => this.publishOn(connection, exchange, message),
      consumeOn: (connection, queue, handler, options) => this.consumeOn(connection, queue, handler, options),
    };
    return new NamedConnection(name, this.asBroker);
  }

  /**
   * Cuts connection `name`: every delivery its consumers hold unacked goes back to the head of its queue flagged
   * redelivered (their later acks are void), and every publish on it still waiting for a confirm fails with
   * `connection-lost`. The connection then recovers (its consumers keep consuming).
   */
  cut(name: string): void {
    this.assertOpen('cut');
    const redelivered: number[] = [];
    for (const state of this.queues.values()) {
      for (const consumer of state.consumers) {
        if (consumer.connection !== name || consumer.unacked.size === 0) continue;
        const held = [...consumer.unacked.values()];
        consumer.unacked.clear();
        for (let i = held.length - 1; i >= 0; i--) {
          const { queue, stored } = held[i] as { queue: QueueState; stored: StoredMessage };
          queue.ready.unshift({ ...stored, redelivered: true });
          redelivered.push(stored.id);
        }
      }
    }
    let failedPublishes = 0;
    for (const [id, confirm] of [...this.confirms]) {
      if (confirm.connection !== name) continue;
      this.confirms.delete(id);
      failedPublishes++;
      confirm.reject(
        new InMemoryTransportError(
          'connection-lost',
          `publish to "${confirm.exchange}" (${confirm.message.routingKey}) not confirmed: connection ${name} was cut`,
        ),
      );
    }
    this.counters.connectionsCut++;
    this.onEvent?.({ kind: 'connection-cut', connection: name, redelivered, failedPublishes });
    this.schedulePump();
  }

  /** Switches between immediate and stepped publisher confirms (publishes already waiting stay waiting). */
  setConfirms(mode: ConfirmMode): void {
    this.confirmMode = mode;
  }

  /** Publishes waiting for a confirm (stepped confirms), oldest first. */
  pendingConfirms(): PendingConfirm[] {
    return [...this.confirms.values()].map((confirm) => ({
      id: confirm.id,
      exchange: confirm.exchange,
      routingKey: confirm.message.routingKey,
      connection: confirm.connection,
      message: confirm.message,
      lost: confirm.lost,
    }));
  }

  /** Number of publishes waiting for a confirm whose confirm is not lost (the simulator may answer them). */
  openConfirmCount(): number {
    let count = 0;
    for (const confirm of this.confirms.values()) if (!confirm.lost) count++;
    return count;
  }

  /** Visits the publishes waiting for an answer (not lost), oldest first, without building snapshots. */
  scanConfirms(visit: (id: number, connection: string | undefined) => void): void {
    for (const confirm of this.confirms.values()) if (!confirm.lost) visit(confirm.id, confirm.connection);
  }

  /** The oldest publish waiting for an answer (not lost) that `answerable` accepts, or -1; allocates nothing. */
  nextConfirm(answerable: (id: number) => boolean): number {
    for (const confirm of this.confirms.values())
      if (!confirm.lost && answerable(confirm.id)) return confirm.id;
    return -1;
  }

  /** The connection publish `id` (waiting for its confirm) was made on. */
  confirmConnection(id: number): string | undefined {
    return this.confirms.get(id)?.connection;
  }

  /** Answers publish `id` (stepped confirms); see `ConfirmOutcome`. */
  confirm(id: number, outcome: ConfirmOutcome = 'ack'): void {
    this.assertOpen('confirm');
    const state = this.confirms.get(id);
    if (!state || state.lost) {
      throw new InMemoryTransportError(
        'unknown-confirm',
        `confirm(${id}): no publish waiting for a confirm with that id`,
      );
    }
    this.onEvent?.({ kind: 'confirmed', confirm: id, outcome });
    if (outcome === 'nack') {
      this.confirms.delete(id);
      this.counters.nacked++;
      state.reject(
        new InMemoryTransportError(
          'publish-nacked',
          `publish to "${state.exchange}" (${state.message.routingKey}) was nacked by the broker`,
        ),
      );
      return;
    }
    this.route(state.exchange, state.message, false);
    if (outcome === 'lose') {
      state.lost = true;
      this.counters.confirmsLost++;
      return;
    }
    this.confirms.delete(id);
    state.resolve();
  }

  private publishOn(
    connection: string | undefined,
    exchange: string,
    message: OutgoingMessage,
  ): Promise<void> {
    try {
      this.assertOpen('publish');
      const full = { ...message, headers: message.headers ?? {} };
      if (this.confirmMode === 'immediate') {
        this.route(exchange, full, false);
        return Promise.resolve();
      }
      if (exchange !== '' && !this.exchanges.has(exchange)) {
        throw new InMemoryTransportError(
          'exchange-not-found',
          `Cannot publish to exchange "${exchange}": not declared (routing key "${message.routingKey}")`,
        );
      }
      const id = this.nextConfirmId++;
      return new Promise<void>((resolve, reject) => {
        this.confirms.set(id, { id, exchange, connection, message: full, resolve, reject, lost: false });
        this.onEvent?.({ kind: 'publish-pending', confirm: id, exchange, connection, message: full });
      });
    } catch (error) {
      return rejected(error);
    }
  }

  private consumeOn(
    connection: string | undefined,
    queue: string,
    handler: DeliveryHandler,
    options: ConsumeOptions,
  ): Promise<Subscription> {
    try {
      this.assertOpen('consume');
      const state = this.requireQueue(queue, 'consume');
      const prefetch = options.prefetch ?? 1;
      if (!Number.isInteger(prefetch) || prefetch < 1) {
        throw new InMemoryTransportError(
          'precondition-failed',
          `consume("${queue}"): prefetch must be a positive integer, got ${String(prefetch)}`,
        );
      }
      const consumer: ConsumerState = {
        handler,
        prefetch,
        connection,
        inFlight: 0,
        closed: false,
        drained: [],
        unacked: new Map(),
      };
      state.consumers.push(consumer);
      this.schedulePump();
      return Promise.resolve({ close: () => this.closeConsumer(queue, state, consumer) });
    } catch (error) {
      return rejected(error);
    }
  }

  /** Stops every consumer (waiting for running handlers) and refuses further calls. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closing: Promise<void>[] = [];
    for (const [name, state] of this.queues) {
      for (const consumer of [...state.consumers]) closing.push(this.closeConsumer(name, state, consumer));
    }
    await Promise.all(closing);
    for (const confirm of this.confirms.values()) {
      confirm.reject(
        new InMemoryTransportError('transport-closed', 'publish: transport closed before the confirm'),
      );
    }
    this.confirms.clear();
    this.resolveIdle();
  }

  // ---- auto mode -------------------------------------------------------------------------------------------

  /**
   * Resolves once nothing is in flight and no queue with a consumer holds a ready message (auto mode). Work a
   * handler starts outside the transport (timers, relays) is not seen: wait for that separately.
   */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // ---- stepped mode ----------------------------------------------------------------------------------------

  /** Messages waiting for delivery, queue by queue in declaration order, each queue in FIFO order. */
  pending(queue?: string): PendingMessage[] {
    const result: PendingMessage[] = [];
    for (const [name, state] of this.queues) {
      if (queue !== undefined && name !== queue) continue;
      for (const stored of state.ready) result.push(toPending(name, stored));
    }
    return result;
  }

  /** Visits every ready message (queue by queue, FIFO) without building snapshots. */
  scanPending(visit: (id: number, queue: string, messageId: string | undefined) => void): void {
    for (const state of this.queues.values()) {
      for (const stored of state.ready) visit(stored.id, state.spec.name, stored.message.messageId);
    }
  }

  /**
   * The ready message a stepped delivery should take next: the lowest (`priority(id)`, id) among the queues with
   * a consumer that has room under its prefetch; -1 when none can be delivered. The simulator calls it every turn,
   * so it allocates nothing.
   */
  nextDeliverable(priority: (id: number) => number): number {
    let best = -1;
    let bestPriority = 0;
    for (const state of this.queues.values()) {
      if (state.ready.length === 0 || !hasRoomIn(state)) continue;
      for (const stored of state.ready) {
        const level = priority(stored.id);
        if (best < 0 || level < bestPriority || (level === bestPriority && stored.id < best)) {
          best = stored.id;
          bestPriority = level;
        }
      }
    }
    return best;
  }

  /** Number of ready messages, over all queues or in one. */
  pendingCount(queue?: string): number {
    if (queue !== undefined) return this.queues.get(queue)?.ready.length ?? 0;
    let count = 0;
    for (const state of this.queues.values()) count += state.ready.length;
    return count;
  }

  /** True when `queue` has at least one open consumer. */
  hasConsumer(queue: string): boolean {
    return (this.queues.get(queue)?.consumers.length ?? 0) > 0;
  }

  /** True when one of `queue`'s consumers has room under its prefetch (a stepped delivery would not exceed it). */
  hasRoom(queue: string): boolean {
    const state = this.queues.get(queue);
    return state !== undefined && hasRoomIn(state);
  }

  /** Deliveries handed to consumers and not settled yet (a retry waiting for its backoff holds one). */
  unackedCount(): number {
    let count = 0;
    for (const state of this.queues.values())
      for (const consumer of state.consumers) count += consumer.unacked.size;
    return count;
  }

  /** Publishes whose confirm was lost (they wait for their connection to be cut). */
  lostConfirmCount(): number {
    let count = 0;
    for (const confirm of this.confirms.values()) if (confirm.lost) count++;
    return count;
  }

  /** The connection of the consumer holding pending-or-running delivery of message `id`, if it is unacked. */
  connectionHolding(id: number): string | undefined {
    for (const state of this.queues.values()) {
      for (const consumer of state.consumers) {
        for (const { stored } of consumer.unacked.values()) if (stored.id === id) return consumer.connection;
      }
    }
    return undefined;
  }

  /**
   * Delivers pending message `id` to its queue's next consumer and runs the handler (stepped mode). With
   * `ack: 'lose'` the handler's outcome is discarded and the message goes back to the head of its queue as
   * redelivered — a crash after the handler ran but before the ack.
   */
  deliver(id: number, options: DeliverOptions = {}): Promise<DeliveryStep> {
    try {
      this.assertOpen('deliver');
      if (this.drive !== 'stepped') {
        throw new InMemoryTransportError('wrong-mode', `deliver(${id}) needs drive: 'stepped'`);
      }
      const { name, state, index } = this.locate(id, 'deliver');
      const consumer = this.nextConsumer(state, true) ?? this.nextConsumer(state, false);
      if (!consumer) {
        throw new InMemoryTransportError('no-consumer', `deliver(${id}): queue "${name}" has no consumer`);
      }
      const [stored] = state.ready.splice(index, 1);
      return this.run(name, state, consumer, stored as StoredMessage, options.ack ?? 'settle');
    } catch (error) {
      return rejected(error);
    }
  }

  /**
   * Adds `copies` copies of pending message `id` to the end of its queue (same body, ids and headers — what a
   * publisher retry or a broker-side duplicate looks like). Returns the copies.
   */
  duplicate(id: number, copies = 1): PendingMessage[] {
    this.assertOpen('duplicate');
    const { name, state, index } = this.locate(id, 'duplicate');
    const original = state.ready[index] as StoredMessage;
    const made: PendingMessage[] = [];
    for (let i = 0; i < copies; i++) {
      const copy: StoredMessage = { ...original, id: this.nextMessageId++, duplicateOf: original.id };
      state.ready.push(copy);
      made.push(toPending(name, copy));
    }
    this.onEvent?.({ kind: 'duplicated', id, copies: made.map((m) => m.id) });
    this.schedulePump();
    return made;
  }

  /** Counters since construction. */
  stats(): InMemoryTransportStats {
    return { ...this.counters };
  }

  // ---- internals -------------------------------------------------------------------------------------------

  private declareQueue(queue: QueueSpec & { readonly exchange: string }): void {
    this.routesDirty = true;
    if (!this.exchanges.has(queue.exchange) && queue.exchange !== '') {
      throw new InMemoryTransportError(
        'exchange-not-found',
        `Queue "${queue.name}" binds to exchange "${queue.exchange}", which is not declared`,
      );
    }
    let state = this.queues.get(queue.name);
    if (state) {
      const a = state.spec;
      if (
        a.deadLetterExchange !== queue.deadLetterExchange ||
        (a.kind ?? 'quorum') !== (queue.kind ?? 'quorum') ||
        (a.exclusive ?? false) !== (queue.exclusive ?? false)
      ) {
        throw new InMemoryTransportError(
          'precondition-failed',
          `Queue "${queue.name}" is already declared with other arguments (dead-letter exchange, kind or exclusive)`,
        );
      }
    } else {
      state = { spec: queue, bindings: [], ready: [], consumers: [], nextConsumer: 0 };
      this.queues.set(queue.name, state);
    }
    for (const pattern of queue.bindings) {
      if (!state.bindings.some((b) => b.exchange === queue.exchange && b.pattern === pattern)) {
        state.bindings.push({ exchange: queue.exchange, pattern });
      }
    }
  }

  private route(
    exchange: string,
    message: StoredMessage['message'],
    deadLettered: boolean,
  ): readonly string[] {
    const targets = this.targetsOf(exchange, message.routingKey);
    const ids: number[] = [];
    for (const name of targets) {
      const id = this.nextMessageId++;
      ids.push(id);
      (this.queues.get(name) as QueueState).ready.push({ id, exchange, message, redelivered: false });
    }
    if (!deadLettered) this.counters.published++;
    if (targets.length === 0) this.counters.dropped++;
    this.onEvent?.({
      kind: 'published',
      exchange,
      routingKey: message.routingKey,
      queues: targets,
      messageIds: ids,
      message,
      deadLettered,
    });
    this.schedulePump();
    return targets;
  }

  /** The queues a message with `routingKey` reaches through `exchange`; cached until the topology changes. */
  private targetsOf(exchange: string, routingKey: string): readonly string[] {
    const cacheKey = `${exchange}\u0000${routingKey}`;
    const table = this.routeTable();
    const cached = table.get(cacheKey);
    if (cached) return cached;
    const targets: string[] = [];
    if (exchange === '') {
      if (this.queues.has(routingKey)) targets.push(routingKey);
    } else {
      const type = this.exchanges.get(exchange);
      if (type === undefined) {
        throw new InMemoryTransportError(
          'exchange-not-found',
          `Cannot publish to exchange "${exchange}": not declared (routing key "${routingKey}")`,
        );
      }
      for (const [name, state] of this.queues) {
        // A headers binding here has no arguments (the topology cannot give any): like RabbitMQ, it takes every
        // message, whatever the routing key — as a fanout binding does.
        const bound = state.bindings.some(
          (b) =>
            b.exchange === exchange &&
            (type === 'fanout' ||
              type === 'headers' ||
              (type === 'direct' ? b.pattern === routingKey : matchesCached(b.pattern, routingKey))),
        );
        if (bound) targets.push(name);
      }
    }
    table.set(cacheKey, targets);
    return targets;
  }

  private routeTable(): Map<string, readonly string[]> {
    if (!this.routesDirty) return this.routes;
    const parts: string[] = [];
    for (const [name, type] of this.exchanges) parts.push(`${name}:${type}`);
    for (const [name, state] of this.queues) {
      parts.push(`|${name}`);
      for (const binding of state.bindings) parts.push(`${binding.exchange}>${binding.pattern}`);
    }
    const signature = parts.join(',');
    let table = sharedRoutes.get(signature);
    if (!table) {
      if (sharedRoutes.size > 100) sharedRoutes.clear();
      table = new Map();
      sharedRoutes.set(signature, table);
    }
    this.routes = table;
    this.routesDirty = false;
    return table;
  }

  private async run(
    queue: string,
    state: QueueState,
    consumer: ConsumerState,
    stored: StoredMessage,
    ack: 'settle' | 'lose',
  ): Promise<DeliveryStep> {
    const delivery = deliveryOf(stored, queue, this.nextDeliveryTag++);
    consumer.inFlight++;
    consumer.unacked.set(delivery.deliveryTag, { queue: state, stored });
    this.inFlight++;
    this.counters.delivered++;
    this.onEvent?.({
      kind: 'delivered',
      id: stored.id,
      queue,
      deliveryTag: delivery.deliveryTag,
      redelivered: stored.redelivered,
    });
    let outcome: DeliveryOutcome;
    let error: unknown;
    let threw = false;
    try {
      outcome = await consumer.handler(delivery);
    } catch (caught) {
      threw = true;
      error = caught;
      outcome = 'requeue';
      this.onHandlerError?.(caught, delivery);
    }
    consumer.inFlight--;
    this.inFlight--;
    // A cut took the delivery back while the handler ran: its ack goes nowhere.
    const held = consumer.unacked.delete(delivery.deliveryTag);
    const settled = !held
      ? 'connection-lost'
      : ack === 'lose'
        ? this.loseAck(state, stored)
        : this.settle(queue, state, stored, outcome);
    this.onEvent?.({ kind: 'settled', id: stored.id, queue, settled });
    if (consumer.inFlight === 0 && consumer.drained.length > 0) {
      const waiters = consumer.drained;
      consumer.drained = [];
      for (const resolve of waiters) resolve();
    }
    this.schedulePump();
    this.resolveIdle();
    return threw ? { id: stored.id, outcome, settled, error } : { id: stored.id, outcome, settled };
  }

  private loseAck(state: QueueState, stored: StoredMessage): DeliveryStep['settled'] {
    this.counters.ackLost++;
    // An unacked message goes back where it was, at the head, flagged as redelivered.
    state.ready.unshift({ ...stored, redelivered: true });
    return 'ack-lost';
  }

  private settle(
    queue: string,
    state: QueueState,
    stored: StoredMessage,
    outcome: DeliveryOutcome,
  ): DeliveryStep['settled'] {
    if (outcome === 'ack') {
      this.counters.acked++;
      return 'acked';
    }
    if (outcome === 'requeue') {
      this.counters.requeued++;
      state.ready.unshift({ ...stored, redelivered: true });
      return 'requeued';
    }
    const dlx = state.spec.deadLetterExchange;
    if (dlx === undefined || (!this.exchanges.has(dlx) && dlx !== '')) {
      this.counters.dropped++;
      return 'dropped';
    }
    this.counters.deadLettered++;
    const previous = stored.message.headers['x-death'];
    const deaths = Array.isArray(previous) ? (previous as unknown[]) : [];
    const death = {
      count: 1,
      reason: 'rejected',
      queue,
      exchange: stored.exchange,
      'routing-keys': [stored.message.routingKey],
    };
    const headers: Record<string, unknown> = {
      ...stored.message.headers,
      'x-death': [death, ...deaths],
      'x-first-death-queue': stored.message.headers['x-first-death-queue'] ?? queue,
      'x-first-death-reason': stored.message.headers['x-first-death-reason'] ?? 'rejected',
      'x-first-death-exchange': stored.message.headers['x-first-death-exchange'] ?? stored.exchange,
    };
    // The dead-letter convention (harness/transport/dead-letter.ts): routing key = the source queue's name.
    this.route(dlx, { ...stored.message, routingKey: queue, headers }, true);
    return 'dead-lettered';
  }

  private nextConsumer(state: QueueState, respectPrefetch: boolean): ConsumerState | undefined {
    const count = state.consumers.length;
    for (let i = 0; i < count; i++) {
      const index = (state.nextConsumer + i) % count;
      const consumer = state.consumers[index] as ConsumerState;
      if (!respectPrefetch || consumer.inFlight < consumer.prefetch) {
        state.nextConsumer = (index + 1) % count;
        return consumer;
      }
    }
    return undefined;
  }

  private schedulePump(): void {
    if (this.drive !== 'auto' || this.pumpScheduled || this.closed) return;
    this.pumpScheduled = true;
    // setImmediate, not a microtask: a handler that always requeues must not starve I/O and timers.
    setImmediate(() => this.pump());
  }

  private pump(): void {
    this.pumpScheduled = false;
    if (this.closed) return;
    for (const [name, state] of this.queues) {
      while (state.ready.length > 0) {
        const consumer = this.nextConsumer(state, true);
        if (!consumer) break;
        const stored = state.ready.shift() as StoredMessage;
        void this.run(name, state, consumer, stored, 'settle');
      }
    }
    this.resolveIdle();
  }

  private isIdle(): boolean {
    if (this.closed) return true;
    if (this.inFlight > 0 || this.pumpScheduled) return false;
    if (this.drive === 'stepped') return true;
    for (const state of this.queues.values()) {
      if (state.ready.length > 0 && state.consumers.length > 0) return false;
    }
    return true;
  }

  private resolveIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private async closeConsumer(name: string, state: QueueState, consumer: ConsumerState): Promise<void> {
    if (consumer.closed) return;
    consumer.closed = true;
    state.consumers = state.consumers.filter((c) => c !== consumer);
    state.nextConsumer = 0;
    if (consumer.inFlight > 0) await new Promise<void>((resolve) => consumer.drained.push(resolve));
    if (state.spec.exclusive && state.consumers.length === 0) {
      this.queues.delete(name);
      this.routesDirty = true;
    }
    this.resolveIdle();
  }

  private locate(id: number, operation: string): { name: string; state: QueueState; index: number } {
    for (const [name, state] of this.queues) {
      const index = state.ready.findIndex((m) => m.id === id);
      if (index >= 0) return { name, state, index };
    }
    throw new InMemoryTransportError(
      'unknown-delivery',
      `${operation}(${id}): no pending message with that id (already delivered, or never existed)`,
    );
  }

  private requireQueue(queue: string, operation: string): QueueState {
    const state = this.queues.get(queue);
    if (!state) {
      throw new InMemoryTransportError(
        'queue-not-found',
        `${operation}: queue "${queue}" is not declared (known: ${[...this.queues.keys()].join(', ') || 'none'})`,
      );
    }
    return state;
  }

  private assertOpen(operation: string): void {
    if (this.closed)
      throw new InMemoryTransportError('transport-closed', `${operation}: transport is closed`);
  }
}

function toPending(queue: string, stored: StoredMessage): PendingMessage {
  const { message } = stored;
  return {
    id: stored.id,
    queue,
    exchange: stored.exchange,
    routingKey: message.routingKey,
    body: message.body,
    headers: message.headers,
    ...(message.messageId !== undefined ? { messageId: message.messageId } : {}),
    ...(message.correlationId !== undefined ? { correlationId: message.correlationId } : {}),
    ...(message.type !== undefined ? { type: message.type } : {}),
    redelivered: stored.redelivered,
    ...(stored.duplicateOf !== undefined ? { duplicateOf: stored.duplicateOf } : {}),
  };
}

/** What a named connection needs of its broker. */
interface ConnectionBroker {
  declare(topology: Topology): Promise<void>;
  publishOn(connection: string, exchange: string, message: OutgoingMessage): Promise<void>;
  consumeOn(
    connection: string,
    queue: string,
    handler: DeliveryHandler,
    options: ConsumeOptions,
  ): Promise<Subscription>;
}

/** `InMemoryTransport.connect(name)`: a class, not a literal of closures, since a simulated run opens a dozen. */
class NamedConnection implements Transport {
  private readonly subscriptions: Subscription[] = [];

  constructor(
    private readonly name: string,
    private readonly broker: ConnectionBroker,
  ) {}

  declare(topology: Topology): Promise<void> {
    return this.broker.declare(topology);
  }

  publish(exchange: string, message: OutgoingMessage): Promise<void> {
    return this.broker.publishOn(this.name, exchange, message);
  }

  async consume(queue: string, handler: DeliveryHandler, options?: ConsumeOptions): Promise<Subscription> {
    const subscription = await this.broker.consumeOn(this.name, queue, handler, options ?? {});
    this.subscriptions.push(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    await Promise.all(this.subscriptions.splice(0).map((subscription) => subscription.close()));
  }
}

/** True when one of the queue's consumers has room under its prefetch. */
function hasRoomIn(state: QueueState): boolean {
  for (const consumer of state.consumers) if (consumer.inFlight < consumer.prefetch) return true;
  return false;
}

/**
 * The delivery of `stored` to `queue`. Built field by field (absent properties as undefined) rather than spread:
 * every delivery then has one shape, and the simulator makes one per step.
 */
function deliveryOf(stored: StoredMessage, queue: string, deliveryTag: number): Delivery {
  const { message } = stored;
  return {
    routingKey: message.routingKey,
    body: message.body,
    headers: message.headers,
    messageId: message.messageId,
    correlationId: message.correlationId,
    type: message.type,
    contentType: message.contentType,
    exchange: stored.exchange,
    queue,
    deliveryTag,
    redelivered: stored.redelivered,
  } as Delivery;
}

/** A rejected promise from a synchronous failure, so port methods never throw synchronously. */
function rejected(error: unknown): Promise<never> {
  return Promise.reject(error instanceof Error ? error : new Error(String(error)));
}

const matchMemo = new Map<string, boolean>();
const sharedRoutes = new Map<string, Map<string, readonly string[]>>();

/** `matchesRoutingKey`, memoised: simulations create thousands of transports over the same few patterns. */
function matchesCached(pattern: string, routingKey: string): boolean {
  const key = `${pattern}\u0000${routingKey}`;
  let matched = matchMemo.get(key);
  if (matched === undefined) {
    if (matchMemo.size > 10_000) matchMemo.clear();
    matched = matchesRoutingKey(pattern, routingKey);
    matchMemo.set(key, matched);
  }
  return matched;
}
