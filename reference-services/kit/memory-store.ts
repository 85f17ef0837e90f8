import type { Collection } from './collection';
import { ServiceError } from './errors';
import type { Entry, NewOutboxRecord, OutboxPublisher, OutboxRecord, Store, StoreTx } from './store';
import type { Clock } from './determinism';
import { systemClock } from './determinism';
import { OutboxRows } from './_internals/outbox-rows';
import { bucket, sortedEntries } from './_internals/record-maps';

/** Options of `MemoryStore`. */
export interface MemoryStoreOptions {
  readonly namespace?: string;
  /** Time used for `publishedAt`; inject a virtual clock for determinism. */
  readonly clock?: Clock;
}

/**
 * The deterministic in-memory store: serializable transactions (one at a time, in arrival order), no timers,
 * no randomness, no copies (records are treated as immutable). Fast enough for the fuzz simulator to run
 * thousands of whole-choreography schedules per second. `failNextCommits` injects a failure inside a transaction,
 * which rolls it back.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  readonly namespace: string;
  private readonly clock: Clock;
  private readonly state = new Map<string, Map<string, unknown>>();
  private readonly inbox = new Set<string>();
  private readonly outboxRows = new OutboxRows();
  private readonly listeners = new Set<() => void>();
  private locked = false;
  private readonly waiting: (() => void)[] = [];
  private pendingFailures: Error[] = [];
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.namespace = options.namespace ?? 'memory';
    this.clock = options.clock ?? systemClock;
  }

  migrate(): Promise<void> {
    return Promise.resolve();
  }

  /** The next `count` transactions fail just before commit (and roll back) with `error`. */
  failNextCommits(count = 1, error?: Error): void {
    for (let i = 0; i < count; i++) {
      this.pendingFailures.push(
        error ?? new ServiceError('injected-failure', 'MemoryStore: injected failure before commit'),
      );
    }
  }

  async transaction<R>(fn: (tx: StoreTx) => Promise<R>): Promise<R> {
    this.assertOpen();
    await this.acquire();
    try {
      const tx = new MemoryTx(this.state, this.inbox);
      const result = await fn(tx);
      const failure = this.pendingFailures.shift();
      if (failure) throw failure;
      this.commit(tx);
      return result;
    } finally {
      this.release();
    }
  }

  read<T>(collection: Collection<T>, key: string): Promise<T | undefined> {
    return Promise.resolve(this.state.get(collection.name)?.get(key) as T | undefined);
  }

  list<T>(collection: Collection<T>): Promise<Entry<T>[]> {
    return Promise.resolve(sortedEntries<T>(this.state.get(collection.name)));
  }

  putIfAbsent<T>(collection: Collection<T>, key: string, value: T): Promise<{ value: T; created: boolean }> {
    this.assertOpen();
    const records = bucket(this.state, collection.name);
    if (records.has(key)) return Promise.resolve({ value: records.get(key) as T, created: false });
    records.set(key, value);
    return Promise.resolve({ value, created: true });
  }

  async relayOutbox(limit: number, publish: OutboxPublisher): Promise<number> {
    this.assertOpen();
    const batch = this.outboxRows.claim(limit);
    if (batch.length === 0) return 0;
    try {
      const confirmed = await publish(batch);
      this.outboxRows.markPublished(confirmed, this.clock().toISOString());
      return confirmed.length;
    } finally {
      this.outboxRows.release(batch);
    }
  }

  outbox(): Promise<OutboxRecord[]> {
    return Promise.resolve(this.outboxRows.view().slice());
  }

  /** Synchronous view of the outbox (the simulator reads it without awaiting). */
  outboxSnapshot(): readonly OutboxRecord[] {
    return this.outboxRows.view();
  }

  onOutboxWritten(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    return Promise.resolve();
  }

  private commit(tx: MemoryTx): void {
    for (const [name, writes] of tx.writes) {
      const records = bucket(this.state, name);
      for (const [key, value] of writes) records.set(key, value);
    }
    for (const key of tx.processed) this.inbox.add(key);
    this.outboxRows.append(tx.appended);
    if (tx.appended.length > 0) for (const listener of this.listeners) listener();
  }

  private acquire(): Promise<void> {
    if (!this.locked) {
      this.locked = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.locked = false;
  }

  private assertOpen(): void {
    if (this.closed) throw new ServiceError('store-closed', `MemoryStore(${this.namespace}) is closed`);
  }
}

/** Staged writes of one memory transaction; applied on commit, dropped on rollback. */
class MemoryTx implements StoreTx {
  readonly writes = new Map<string, Map<string, unknown>>();
  readonly processed = new Set<string>();
  readonly appended: NewOutboxRecord[] = [];

  constructor(
    private readonly state: ReadonlyMap<string, ReadonlyMap<string, unknown>>,
    private readonly inbox: ReadonlySet<string>,
  ) {}

  get<T>(collection: Collection<T>, key: string): Promise<T | undefined> {
    const staged = this.writes.get(collection.name);
    if (staged?.has(key)) return Promise.resolve(staged.get(key) as T);
    return Promise.resolve(this.state.get(collection.name)?.get(key) as T | undefined);
  }

  put<T>(collection: Collection<T>, key: string, value: T): Promise<void> {
    bucket(this.writes, collection.name).set(key, value);
    return Promise.resolve();
  }

  async insert<T>(collection: Collection<T>, key: string, value: T): Promise<boolean> {
    if ((await this.get(collection, key)) !== undefined) return false;
    bucket(this.writes, collection.name).set(key, value);
    return true;
  }

  list<T>(collection: Collection<T>): Promise<Entry<T>[]> {
    const merged = new Map(this.state.get(collection.name));
    for (const [key, value] of this.writes.get(collection.name) ?? []) merged.set(key, value);
    return Promise.resolve(sortedEntries<T>(merged));
  }

  markProcessed(consumer: string, eventId: string): Promise<boolean> {
    const key = `${consumer}\u0000${eventId}`;
    if (this.inbox.has(key) || this.processed.has(key)) return Promise.resolve(false);
    this.processed.add(key);
    return Promise.resolve(true);
  }

  hasProcessed(consumer: string, eventId: string): Promise<boolean> {
    const key = `${consumer}\u0000${eventId}`;
    return Promise.resolve(this.inbox.has(key) || this.processed.has(key));
  }

  appendOutbox(record: NewOutboxRecord): Promise<void> {
    this.appended.push(record);
    return Promise.resolve();
  }
}
