import { shopCatalog, type ShopEvent, type ShopEventType } from '../events/catalog';
import type { KnownBug } from './bugs';
import { SimulatedCrash, type CrashHook, type CrashPoint } from './crash-points';
import type { DeadLetterReason } from './dead-letter';
import { UnprocessableEventError } from './errors';
import { isTransientStoreError } from './transient-error';
import { randomIds, systemClock, type Clock, type IdGenerator } from './determinism';
import { createHandlerContext, flushEmitted } from './handler-context';
import { backoffDelay, defaultRetryPolicy, type RetryPolicy } from './retry-policy';
import type { EventHandler, ServiceDefinition } from './service-definition';
import type { RowRef, Store, StoreTx } from './store';

/** Options of a `ServiceProcessor`. */
export interface ServiceProcessorOptions {
  readonly service: ServiceDefinition;
  readonly store: Store;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  /** Known bugs to switch on (those that concern other services are ignored). */
  readonly bugs?: Iterable<KnownBug>;
  /** Called at every crash point; throw `SimulatedCrash` to crash there. */
  readonly crashHook?: CrashHook;
  readonly retry?: RetryPolicy;
  /**
   * A memo of decoded messages by their bytes, shared between processors: decoding is pure, and a simulator
   * decodes the same few messages thousands of times (copies, redeliveries, every schedule of a workload).
   */
  readonly decodeMemo?: DecodeMemo;
}

/** Decoded messages by body (see `ServiceProcessorOptions.decodeMemo`); cleared when it grows past 10,000. */
export type DecodeMemo = Map<string, ReturnType<typeof shopCatalog.decode>>;

/** One message to process. */
export interface ProcessInput {
  readonly body: Uint8Array | string;
  /** 1 for the first try; the caller counts tries of the same delivery. */
  readonly attempt?: number;
  /** With the `ack-before-commit` bug: called just before commit, when the buggy runtime acks. */
  readonly onEarlyAck?: () => void;
}

/** What became of one message. */
export type ProcessOutcome =
  | {
      readonly kind: 'ack';
      readonly status: 'handled';
      readonly event: ShopEvent;
      /** Events written to the outbox in the same transaction. */
      readonly emitted: readonly ShopEvent[];
      readonly ackedEarly: boolean;
    }
  | {
      readonly kind: 'ack';
      readonly status: 'duplicate';
      readonly event: ShopEvent;
      readonly ackedEarly: boolean;
    }
  | {
      /** The handler failed; try again after `delayMs` with `attempt + 1`. */
      readonly kind: 'retry';
      readonly attempt: number;
      readonly delayMs: number;
      readonly error: unknown;
      readonly event: ShopEvent;
      readonly ackedEarly: boolean;
    }
  | { readonly kind: 'reject'; readonly reason: DeadLetterReason; readonly ackedEarly: boolean }
  | {
      /** A `SimulatedCrash` was thrown at `point`; `ackedEarly` tells whether the delivery was already acked. */
      readonly kind: 'crashed';
      readonly point: CrashPoint;
      readonly event: ShopEvent;
      readonly ackedEarly: boolean;
    };

/** A batch that would wait on a row lock (or sit in a deadlock) gives up quickly and goes one by one. */
const batchTransactionOptions = { lockTimeoutMs: 100 } as const;

/** How the inbox is used: correct (in the transaction), the dedupe-after-commit bug, or skipped. */
type InboxMode = 'in-transaction' | 'after-commit' | 'none';

/**
 * Transport-free processing of one message: bytes → decode → inbox → handler → outbox, all in one transaction.
 * Never throws: bad input becomes `reject` with a reason, handler failures `retry` until the policy's last
 * attempt, then `reject` — except when the failure is the store being unavailable: that stays `retry` (at the
 * slowest backoff) however long it lasts, so a valid message is never dead-lettered because the database was down.
 * Deterministic given a deterministic store, clock and id generator.
 */
export class ServiceProcessor {
  readonly service: ServiceDefinition;
  readonly store: Store;
  readonly bugs: ReadonlySet<KnownBug>;
  readonly retry: RetryPolicy;
  private readonly clock: Clock;
  private readonly ids: IdGenerator;
  private readonly crashHook: CrashHook | undefined;
  private readonly inboxMode: InboxMode;
  private readonly decodeMemo: DecodeMemo | undefined;

  constructor(options: ServiceProcessorOptions) {
    this.service = options.service;
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.ids = options.ids ?? randomIds;
    this.bugs = new Set(options.bugs ?? []);
    this.crashHook = options.crashHook;
    this.retry = options.retry ?? defaultRetryPolicy;
    this.decodeMemo = options.decodeMemo;
    this.inboxMode =
      this.service.name === 'payments' && this.bugs.has('payment-not-idempotent')
        ? 'none'
        : this.service.name === 'inventory' && this.bugs.has('inventory-dedupe-after-commit')
          ? 'after-commit'
          : 'in-transaction';
  }

  /** Whether this service consumes `eventType`. */
  consumes(eventType: string): boolean {
    return Object.hasOwn(this.service.handlers, eventType);
  }

  async process(input: ProcessInput): Promise<ProcessOutcome> {
    const attempt = input.attempt ?? 1;
    const prepared = this.prepare(input.body);
    if ('kind' in prepared) return prepared;
    const { event, handler } = prepared;
    const consumer = this.service.name;
    const earlyAck = this.bugs.has('ack-before-commit');
    let ackedEarly = false;
    try {
      this.crash('after-decode', event.eventId);
      const emitted: ShopEvent[] = [];
      const handled = await this.store.transaction(async (tx) => {
        if (this.inboxMode === 'in-transaction') {
          if (!(await tx.markProcessed(consumer, event.eventId))) return false;
        } else if (this.inboxMode === 'after-commit') {
          if (await tx.hasProcessed(consumer, event.eventId)) return false;
        }
        await this.handle(tx, event, handler, emitted);
        if (earlyAck && !ackedEarly) {
          ackedEarly = true;
          input.onEarlyAck?.();
        }
        this.crash('after-handle-before-commit', event.eventId);
        return true;
      });
      if (!handled) {
        this.crash('after-commit-before-ack', event.eventId);
        return { kind: 'ack', status: 'duplicate', event, ackedEarly };
      }
      if (this.inboxMode === 'after-commit') {
        this.crash('after-commit-before-dedupe', event.eventId);
        await this.store.transaction((tx) => tx.markProcessed(consumer, event.eventId));
      }
      this.crash('after-commit-before-ack', event.eventId);
      return { kind: 'ack', status: 'handled', event, emitted, ackedEarly };
    } catch (error) {
      if (error instanceof SimulatedCrash) return { kind: 'crashed', point: error.point, event, ackedEarly };
      if (error instanceof UnprocessableEventError) {
        return {
          kind: 'reject',
          reason: {
            code: 'unprocessable-event',
            message: `${consumer} cannot process ${event.eventType} ${event.eventId}: ${error.message}`,
            eventType: event.eventType,
            eventId: event.eventId,
            attempts: attempt,
          },
          ackedEarly,
        };
      }
      if (attempt < this.retry.maxAttempts) {
        return {
          kind: 'retry',
          attempt,
          delayMs: backoffDelay(this.retry, attempt),
          error,
          event,
          ackedEarly,
        };
      }
      if (isTransientStoreError(error)) {
        // The store is down, the message is fine: keep retrying at the slowest pace, never dead-letter it.
        return { kind: 'retry', attempt, delayMs: this.retry.maxDelayMs, error, event, ackedEarly };
      }
      return {
        kind: 'reject',
        reason: {
          code: 'handler-failed',
          message: `${consumer} failed ${attempt} time(s) on ${event.eventType} ${event.eventId}: ${describe(error)}`,
          eventType: event.eventType,
          eventId: event.eventId,
          attempts: attempt,
        },
        ackedEarly,
      };
    }
  }

  /**
   * Processes several messages in ONE transaction (consumer batching: one commit instead of one per message),
   * with the same outcomes `process` would give each. Decode failures are rejected one by one first. If anything
   * in the batch fails, the transaction rolls back and each message is processed alone, so one bad message never
   * holds back the others. The crash points are those of `process`, reached for every message of the batch; a
   * crash ends the whole batch (nothing of it is acked). With a known bug switched on, messages go one by one.
   */
  async processBatch(inputs: readonly ProcessInput[]): Promise<ProcessOutcome[]> {
    const outcomes: (ProcessOutcome | undefined)[] = new Array<ProcessOutcome | undefined>(inputs.length);
    if (inputs.length <= 1 || this.bugs.size > 0) {
      for (const [index, input] of inputs.entries()) outcomes[index] = await this.process(input);
      return outcomes as ProcessOutcome[];
    }
    const valid: { index: number; event: ShopEvent; handler: EventHandler<ShopEventType> }[] = [];
    for (const [index, input] of inputs.entries()) {
      const prepared = this.prepare(input.body);
      if ('kind' in prepared) outcomes[index] = prepared;
      else valid.push({ index, ...prepared });
    }
    const consumer = this.service.name;
    try {
      for (const { event } of valid) this.crash('after-decode', event.eventId);
      const results = await this.store.transaction(async (tx) => {
        // The whole batch's inbox rows first, in one statement where the store can.
        const fresh: boolean[] = [];
        if (tx.markProcessedAll) {
          fresh.push(
            ...(await tx.markProcessedAll(
              consumer,
              valid.map(({ event }) => event.eventId),
            )),
          );
        } else {
          for (const { event } of valid) fresh.push(await tx.markProcessed(consumer, event.eventId));
        }
        // The rows the fresh events' handlers will lock, all in one statement (the handlers' `get`s then hit them).
        if (tx.lockAll) {
          const rows = valid.flatMap(({ event }, i) => (fresh[i] ? this.rowsToLock(event) : []));
          if (rows.length > 0) await tx.lockAll(rows);
        }
        const handled: (ShopEvent[] | undefined)[] = valid.map((_, i) => (fresh[i] ? [] : undefined));
        for (let i = 0; i < valid.length;) {
          // A run of consecutive events whose handlers may overlap (duplicates in it are skipped), or one event.
          let end = i + 1;
          if (this.runsConcurrently(valid[i]?.event)) {
            while (end < valid.length && (!fresh[end] || this.runsConcurrently(valid[end]?.event))) end++;
          }
          await this.handleRun(tx, valid.slice(i, end), handled.slice(i, end));
          i = end;
        }
        for (const { event } of valid) this.crash('after-handle-before-commit', event.eventId);
        return handled;
      }, batchTransactionOptions);
      for (const { event } of valid) this.crash('after-commit-before-ack', event.eventId);
      for (const [i, { index, event }] of valid.entries()) {
        const emitted = results[i];
        outcomes[index] = emitted
          ? { kind: 'ack', status: 'handled', event, emitted, ackedEarly: false }
          : { kind: 'ack', status: 'duplicate', event, ackedEarly: false };
      }
    } catch (error) {
      if (error instanceof SimulatedCrash) {
        // The process died: none of the batch is settled (the broker redelivers all of it).
        for (const { index, event } of valid) {
          outcomes[index] = { kind: 'crashed', point: error.point, event, ackedEarly: false };
        }
        return outcomes as ProcessOutcome[];
      }
      for (const { index } of valid) outcomes[index] = await this.process(inputs[index] as ProcessInput);
    }
    return outcomes as ProcessOutcome[];
  }

  /**
   * Runs the handlers of one run of a batch (`emitted[i]` undefined: a duplicate, skipped) and writes what they
   * emitted to the outbox in batch order. A run of more than one event is of types the service declares
   * `concurrent`: each flow's events still go one after another, different flows at the same time. Every handler
   * is settled before this returns or throws, so none is still using the transaction when it ends.
   */
  private async handleRun(
    tx: StoreTx,
    run: readonly { readonly event: ShopEvent; readonly handler: EventHandler<ShopEventType> }[],
    emitted: readonly (ShopEvent[] | undefined)[],
  ): Promise<void> {
    const flows = new Map<string, (() => Promise<void>)[]>();
    for (const [i, { event, handler }] of run.entries()) {
      const into = emitted[i];
      if (!into) continue;
      const steps = flows.get(event.correlationId) ?? [];
      steps.push(() => this.runHandler(tx, event, handler, into));
      flows.set(event.correlationId, steps);
    }
    const settled = await Promise.allSettled(
      [...flows.values()].map(async (steps) => {
        for (const step of steps) await step();
      }),
    );
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    for (const into of emitted) if (into) await flushEmitted(tx, into);
  }

  /** Whether the service lets handlers of this event's type overlap within a batch. */
  private runsConcurrently(event: ShopEvent | undefined): boolean {
    return event !== undefined && (this.service.concurrent?.includes(event.eventType) ?? false);
  }

  /** The rows the service declares its handler of `event` locks. */
  private rowsToLock(event: ShopEvent): readonly RowRef[] {
    const declared = this.service.locks?.[event.eventType] as
      ((event: ShopEvent) => readonly RowRef[]) | undefined;
    return declared ? declared(event) : [];
  }

  /** Decodes and finds the handler, or says why the message is rejected. */
  protected prepare(
    body: Uint8Array | string,
  ): ProcessOutcome | { readonly event: ShopEvent; readonly handler: EventHandler<ShopEventType> } {
    const decoded = this.decode(body);
    if (!decoded.ok) return { kind: 'reject', reason: decoded.error, ackedEarly: false };
    const event = decoded.event;
    const handler = this.service.handlers[event.eventType] as EventHandler<ShopEventType> | undefined;
    if (!handler) {
      return {
        kind: 'reject',
        reason: {
          code: 'unhandled-event-type',
          message: `${this.service.name} does not consume ${event.eventType} (event ${event.eventId})`,
          eventType: event.eventType,
          eventId: event.eventId,
        },
        ackedEarly: false,
      };
    }
    return { event, handler };
  }

  private decode(body: Uint8Array | string): ReturnType<typeof shopCatalog.decode> {
    const memo = this.decodeMemo;
    if (!memo || typeof body === 'string') return shopCatalog.decode(body);
    // latin1 maps every byte to one character: an exact key for the bytes (not prefixed: no copy to flatten).
    const key = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1');
    let decoded = memo.get(key);
    if (!decoded) {
      if (memo.size >= 10_000) memo.clear();
      decoded = shopCatalog.decode(body);
      memo.set(key, decoded);
    }
    return decoded;
  }

  /** Runs `handler` on `event` inside `tx` and writes what it emitted (collected in `emitted`) to the outbox. */
  protected async handle(
    tx: StoreTx,
    event: ShopEvent,
    handler: EventHandler<ShopEventType>,
    emitted: ShopEvent[],
  ): Promise<void> {
    await this.runHandler(tx, event, handler, emitted);
    await flushEmitted(tx, emitted);
  }

  /** Runs `handler` on `event` inside `tx`, collecting what it emits in `emitted` (not yet in the outbox). */
  protected async runHandler(
    tx: StoreTx,
    event: ShopEvent,
    handler: EventHandler<ShopEventType>,
    emitted: ShopEvent[],
  ): Promise<void> {
    const context = createHandlerContext({
      service: this.service.name,
      tx,
      clock: this.clock,
      ids: this.ids,
      bugs: this.bugs,
      causation: { correlationId: event.correlationId, causationId: event.eventId },
      emitted,
    });
    await handler(event, context);
  }

  protected crash(point: CrashPoint, eventId: string): void {
    this.crashHook?.(point, { service: this.service.name, eventId });
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
