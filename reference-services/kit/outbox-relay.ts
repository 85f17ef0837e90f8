import type { OutgoingMessage, Transport } from '../../harness/transport/transport';
import { ServiceError } from './errors';
import type { OutboxRecord, Store } from './store';
import { systemTimers, type TimerHandle, type Timers } from './timers';

/** Options of an `OutboxRelay`. */
export interface OutboxRelayOptions {
  readonly store: Store;
  readonly transport: Transport;
  /** The exchange events are published to. */
  readonly exchange: string;
  /** Rows claimed per round. Default 200. */
  readonly batchSize?: number;
  /** Safety poll in case a notification is lost (LISTEN connection down). Default 1000 ms. */
  readonly pollIntervalMs?: number;
  /** Called after the batch was published and confirmed, before it is marked: throw to simulate a relay crash. */
  readonly beforeMark?: (rows: readonly OutboxRecord[]) => void;
  /** Publishing failures (the rows stay unpublished and are retried). Default: stderr. */
  readonly onError?: (error: ServiceError) => void;
  /** The poll and the failure backoff run on these (the simulator passes virtual ones). Default: real timers. */
  readonly timers?: Timers;
}

/**
 * Publishes outbox rows with publisher confirms and marks them only after the confirm: at-least-once, never lost.
 * Woken by the store's commit notifications (LISTEN/NOTIFY), with a slow poll as a safety net. Rows of one aggregate
 * are published one after another (each awaits its confirm) in outbox order; different aggregates in parallel.
 * Several relays (in one process or many) may run on the same store.
 */
export class OutboxRelay {
  private readonly store: Store;
  private readonly transport: Transport;
  private readonly exchange: string;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly beforeMark: ((rows: readonly OutboxRecord[]) => void) | undefined;
  private readonly onError: (error: ServiceError) => void;
  private unsubscribe: (() => void) | undefined;
  private timer: TimerHandle;
  private readonly timers: Timers;
  private draining: Promise<void> | undefined;
  private endBackoff: (() => void) | undefined;
  private dirty = false;
  private running = false;
  private failures = 0;
  private publishedCount = 0;

  constructor(options: OutboxRelayOptions) {
    this.store = options.store;
    this.transport = options.transport;
    this.exchange = options.exchange;
    this.batchSize = options.batchSize ?? 200;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.beforeMark = options.beforeMark;
    this.timers = options.timers ?? systemTimers;
    this.onError =
      options.onError ?? ((error) => console.error(`[troupe relay] ${error.code}: ${error.message}`));
  }

  /** How many rows this relay marked published. */
  get published(): number {
    return this.publishedCount;
  }

  /** Subscribes to the store's commit notifications, starts the safety poll and drains once; idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.store.onOutboxWritten(() => this.wake());
    this.schedulePoll();
    this.wake();
  }

  /** Asks for a drain now (also what a commit notification does). */
  wake(): void {
    if (!this.running) return;
    this.dirty = true;
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  /** Publishes until nothing is claimable; resolves with how many rows were marked. */
  async drainOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const count = await this.store.relayOutbox(this.batchSize, (rows) => this.publishBatch(rows));
      total += count;
      if (count === 0) return total;
    }
  }

  /** Stops waking up and resolves once the drain in progress (if any) has finished. */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.endBackoff?.();
    await this.draining;
  }

  private async drain(): Promise<void> {
    while (this.dirty && this.running) {
      this.dirty = false;
      try {
        await this.drainOnce();
        this.failures = 0;
      } catch (cause) {
        this.failures++;
        this.onError(
          cause instanceof ServiceError
            ? cause
            : new ServiceError('relay-publish-failed', `outbox relay failed: ${describe(cause)}`, { cause }),
        );
        // Back off, then try again: the rows are still unpublished. `stop()` cuts the wait short.
        const delay = Math.min(2_000, 50 * 2 ** Math.min(this.failures, 6));
        await new Promise<void>((resolve) => {
          const timer = this.timers.setTimeout(resolve, delay);
          this.endBackoff = () => {
            this.timers.clearTimeout(timer);
            resolve();
          };
        });
        this.endBackoff = undefined;
        this.dirty = true;
      }
    }
  }

  private schedulePoll(): void {
    if (!this.running) return;
    this.timer = this.timers.setTimeout(() => {
      this.wake();
      this.schedulePoll();
    }, this.pollIntervalMs);
    // A real poll timer must not keep the process alive on its own.
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Publishes one claimed batch; resolves with the ids the broker confirmed. */
  protected async publishBatch(rows: readonly OutboxRecord[]): Promise<readonly number[]> {
    const byAggregate = new Map<string, OutboxRecord[]>();
    for (const row of rows) {
      const list = byAggregate.get(row.aggregateId);
      if (list) list.push(row);
      else byAggregate.set(row.aggregateId, [row]);
    }
    const confirmed: number[] = [];
    const errors: unknown[] = [];
    await Promise.all(
      [...byAggregate.values()].map(async (list) => {
        for (const row of list) {
          try {
            await this.transport.publish(this.exchange, toMessage(row));
            confirmed.push(row.id);
          } catch (error) {
            // Stop this aggregate here: publishing its later rows first would break its order.
            errors.push(error);
            return;
          }
        }
      }),
    );
    this.beforeMark?.(rows);
    if (confirmed.length === 0 && errors.length > 0) {
      throw new ServiceError(
        'relay-publish-failed',
        `publishing ${rows.length} row(s) failed: ${describe(errors[0])}`,
        {
          cause: errors[0],
        },
      );
    }
    if (errors.length > 0) {
      this.onError(
        new ServiceError(
          'relay-publish-failed',
          `${errors.length} row(s) not confirmed: ${describe(errors[0])}`,
          {
            cause: errors[0],
          },
        ),
      );
      this.dirty = true;
    }
    this.publishedCount += confirmed.length;
    return confirmed;
  }
}

/** The broker message for an outbox row: message-id = eventId, type = eventType, JSON body as stored. */
export function toMessage(row: OutboxRecord): OutgoingMessage {
  return {
    routingKey: row.routingKey,
    body: Buffer.from(row.body, 'utf8'),
    messageId: row.eventId,
    correlationId: row.correlationId,
    type: row.eventType,
    contentType: 'application/json',
    headers: {},
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
