import type { Delivery, DeliveryOutcome, Subscription, Transport } from '../../harness/transport/transport';
import { deadLetterHeadersFor } from './dead-letter';
import type { ProcessOutcome, ServiceProcessor } from './service-processor';
import { systemTimers, type TimerHandle, type Timers } from './timers';
import type { TopologyNames } from './topology';

/** One settled delivery, for logs and demos. */
export interface RuntimeRecord {
  readonly service: string;
  readonly delivery: Delivery;
  readonly outcome: ProcessOutcome;
  /** What the broker was told. */
  readonly settled: DeliveryOutcome;
}

/** Options of a `ServiceRuntime`. */
export interface ServiceRuntimeOptions {
  readonly processor: ServiceProcessor;
  readonly transport: Transport;
  readonly names: TopologyNames;
  /** Unacked deliveries this instance may hold (and process concurrently). Default 16. */
  readonly prefetch?: number;
  /**
   * Most deliveries processed in one transaction (consumer batching; 1 = one transaction per message). Only
   * deliveries that are already waiting are batched, nothing waits for a batch to fill. Default 16.
   */
  readonly batchSize?: number;
  /**
   * Batch transactions that may run at once (deliveries are spread by correlation id). Default 1: more lanes only
   * help when flows rarely share rows (the shop's stock rows are shared by every order).
   */
  readonly lanes?: number;
  /** Every settled delivery. */
  readonly onRecord?: (record: RuntimeRecord) => void;
  /** Problems that are not a delivery's outcome (a dead-letter publish that failed). Default: stderr. */
  readonly onError?: (error: Error) => void;
  /** Retry backoff and batch flushes run on these (the simulator passes virtual ones). Default: real timers. */
  readonly timers?: Timers;
}

/**
 * Binds a `ServiceProcessor` to a `Transport`: consumes the service's queue with manual acks — ack only after the
 * transaction committed (or the message was dead-lettered); retries a failing handler in process with backoff, then
 * publishes the message to the dead-letter exchange with its reason in headers (`x-troupe-dead-letter-*`) and acks
 * it. Poison messages never stop consumption; connection loss is the transport's to heal (unacked deliveries are
 * redelivered, and the inbox absorbs the ones that were already committed).
 */
export class ServiceRuntime {
  readonly service: string;
  private readonly processor: ServiceProcessor;
  private readonly transport: Transport;
  private readonly names: TopologyNames;
  private readonly prefetch: number;
  private readonly onRecord: ((record: RuntimeRecord) => void) | undefined;
  private readonly onError: (error: Error) => void;
  private subscription: Subscription | undefined;
  private stopping = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly sleepers = new Set<() => void>();
  private readonly batchSize: number;
  private readonly lanes: Lane[];
  private readonly timers: Timers;

  constructor(options: ServiceRuntimeOptions) {
    this.processor = options.processor;
    this.service = options.processor.service.name;
    this.transport = options.transport;
    this.names = options.names;
    this.prefetch = options.prefetch ?? 16;
    this.batchSize = Math.max(1, Math.min(options.batchSize ?? 16, this.prefetch));
    this.lanes = Array.from({ length: Math.max(1, options.lanes ?? 1) }, () => ({
      pending: [],
      running: false,
    }));
    this.onRecord = options.onRecord;
    this.timers = options.timers ?? systemTimers;
    this.onError = options.onError ?? ((error) => console.error(`[troupe ${this.service}] ${error.message}`));
  }

  /** Deliveries this instance is processing (a retry waiting for its backoff included), settled or not. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Starts consuming (the topology must be declared). */
  async start(): Promise<void> {
    this.stopping = false;
    this.subscription = await this.transport.consume(
      this.names.queue(this.service),
      (delivery) => this.handle(delivery),
      {
        prefetch: this.prefetch,
      },
    );
  }

  /** Stops consuming; deliveries being processed finish (a retry waiting for its backoff is requeued). */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const wake of this.sleepers) wake();
    await this.subscription?.close();
    this.subscription = undefined;
    await Promise.allSettled([...this.inFlight]);
  }

  private handle(delivery: Delivery): Promise<DeliveryOutcome> {
    if (this.batchSize > 1 && this.processor.bugs.size === 0) return this.track(this.enqueue(delivery));
    if (!this.processor.bugs.has('ack-before-commit')) return this.track(this.run(delivery));
    // The known bug: the broker is told 'ack' before the transaction commits; processing goes on regardless.
    return new Promise<DeliveryOutcome>((resolve, reject) => {
      this.track(this.run(delivery, () => resolve('ack'))).then(resolve, reject);
    });
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work)).catch(() => undefined);
    return work;
  }

  /**
   * Consumer batching as group commit: per lane, one batch transaction at a time; deliveries that arrive while it
   * runs form the next batch, so nothing waits for a batch to fill. Deliveries are put in lanes by correlation id:
   * a flow's messages share a lane (its rows are never locked by two of our batches at once), and a batch that still
   * meets a lock gives up after a short lock timeout and goes one by one.
   */
  private enqueue(delivery: Delivery): Promise<DeliveryOutcome> {
    const lane = this.lanes[laneOf(delivery.correlationId ?? delivery.messageId ?? '', this.lanes.length)];
    return new Promise<DeliveryOutcome>((resolve) => {
      if (!lane) return resolve(this.run(delivery));
      lane.pending.push({ delivery, resolve });
      if (lane.scheduled) return;
      lane.scheduled = true;
      this.timers.defer(() => this.flush(lane));
    });
  }

  private flush(lane: Lane): void {
    lane.scheduled = false;
    if (lane.running || lane.pending.length === 0) return;
    const batch = lane.pending.splice(0, this.batchSize);
    lane.running = true;
    void this.processor
      .processBatch(batch.map(({ delivery }) => ({ body: delivery.body, attempt: firstAttempt(delivery) })))
      // Each entry is resolved with the run's promise itself, so a run that rejects (an `onRecord` that throws)
      // reaches the transport as a failed handler (requeue) instead of leaving the delivery unsettled.
      .then(
        (outcomes) =>
          batch.forEach((entry, i) => entry.resolve(this.run(entry.delivery, undefined, outcomes[i]))),
        // processBatch never throws; if it somehow did, each delivery takes the one-by-one path.
        () => batch.forEach((entry) => entry.resolve(this.run(entry.delivery))),
      )
      .finally(() => {
        lane.running = false;
        if (lane.pending.length > 0) this.flush(lane);
      });
  }

  private async run(
    delivery: Delivery,
    onEarlyAck?: () => void,
    first?: ProcessOutcome,
  ): Promise<DeliveryOutcome> {
    let attempt = firstAttempt(delivery);
    let given = first;
    for (;;) {
      const outcome =
        given ??
        (await this.processor.process({
          body: delivery.body,
          attempt,
          ...(onEarlyAck ? { onEarlyAck } : {}),
        }));
      given = undefined;
      if (outcome.kind === 'retry') {
        if (this.stopping) return this.settle(delivery, outcome, 'requeue');
        await this.sleep(outcome.delayMs);
        if (this.stopping) return this.settle(delivery, outcome, 'requeue');
        attempt++;
        continue;
      }
      if (outcome.kind === 'ack') return this.settle(delivery, outcome, 'ack');
      if (outcome.kind === 'crashed') return this.settle(delivery, outcome, 'requeue');
      try {
        await this.transport.publish(this.names.deadLetterExchange, {
          routingKey: this.names.queue(this.service),
          body: delivery.body,
          headers: { ...delivery.headers, ...deadLetterHeadersFor(this.service, outcome.reason) },
          ...(delivery.messageId !== undefined ? { messageId: delivery.messageId } : {}),
          ...(delivery.correlationId !== undefined ? { correlationId: delivery.correlationId } : {}),
          ...(delivery.type !== undefined ? { type: delivery.type } : {}),
          ...(delivery.contentType !== undefined ? { contentType: delivery.contentType } : {}),
        });
        return this.settle(delivery, outcome, 'ack');
      } catch (error) {
        // Never drop it: without a confirmed dead-letter copy, the broker keeps the original.
        this.onError(
          new Error(`dead-lettering to ${this.names.deadLetterExchange} failed; requeued`, { cause: error }),
        );
        return this.settle(delivery, outcome, 'requeue');
      }
    }
  }

  private settle(delivery: Delivery, outcome: ProcessOutcome, settled: DeliveryOutcome): DeliveryOutcome {
    this.onRecord?.({ service: this.service, delivery, outcome, settled });
    return settled;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        this.timers.clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer: TimerHandle = this.timers.setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}

/** 1 for a first delivery; quorum queues count redeliveries, so a message that keeps crashing its consumer still
 * reaches the retry bound. */
function firstAttempt(delivery: Delivery): number {
  const previous = Number(delivery.headers['x-delivery-count'] ?? 0);
  return 1 + (Number.isFinite(previous) && previous > 0 ? previous : 0);
}

/** One batching lane: deliveries waiting, and whether its batch transaction is running. */
interface Lane {
  readonly pending: {
    delivery: Delivery;
    resolve: (outcome: DeliveryOutcome | Promise<DeliveryOutcome>) => void;
  }[];
  running: boolean;
  /** A flush is deferred to the next turn. */
  scheduled?: boolean;
}

/** A stable lane for a key (FNV-1a). */
function laneOf(key: string, lanes: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % lanes;
}
