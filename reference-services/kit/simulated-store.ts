import type { Collection } from './collection';
import type { Clock } from './determinism';
import { systemClock } from './determinism';
import { OutboxRows } from './_internals/outbox-rows';
import { bucket, sortedEntries } from './_internals/record-maps';
import { ServiceError } from './errors';
import type {
  Entry,
  GetOptions,
  NewOutboxRecord,
  OutboxPublisher,
  OutboxRecord,
  RowRef,
  Store,
  StoreTx,
  TransactionOptions,
} from './store';
import type { Timers } from './timers';

/** How the simulator interleaves the store's concurrent transactions. */
export interface StoreInterleaving {
  /**
   * Resolves when this transaction may take its next step (every statement and the commit wait for it). The
   * simulator picks which waiting transaction goes next, seeded: that is how two transactions interleave.
   */
  readonly step: () => Promise<void>;
  /** Lock timeouts run on these (virtual time in the simulator). */
  readonly timers: Timers;
}

/** Options of `SimulatedStore`. */
export interface SimulatedStoreOptions {
  readonly namespace?: string;
  readonly clock?: Clock;
  readonly interleaving: StoreInterleaving;
  /** Starts with these committed rows and outbox (another store's `snapshot()`) instead of empty. */
  readonly from?: SimulatedStoreSnapshot;
}

/**
 * A store's committed rows, outbox and transaction counter at one point, to start other stores from: the
 * simulator seeds a workload once and starts each of its runs from the seeded state.
 */
export interface SimulatedStoreSnapshot {
  readonly state: ReadonlyMap<string, ReadonlyMap<string, unknown>>;
  readonly outbox: readonly OutboxRecord[];
  readonly nextTx: number;
}

/** An error with a PostgreSQL SQLSTATE `code`, as node-postgres throws them. */
export class SimulatedSqlError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'SimulatedSqlError';
    this.code = code;
  }
}

const inboxCollection = '\u0000inbox';

interface Waiter {
  readonly tx: TxState;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

interface Lock {
  owner: TxState;
  readonly waiters: Waiter[];
}

interface TxState {
  readonly id: number;
  readonly writes: Map<string, Map<string, unknown>>;
  readonly held: Set<string>;
  readonly appended: NewOutboxRecord[];
  /** The lock this transaction waits for, if any (the wait-for graph for deadlock detection). */
  waitingFor: string | undefined;
}

/**
 * The store model of the deterministic simulator: concurrent transactions with PostgreSQL's default semantics,
 * interleaved statement by statement by the simulator's seeded scheduler.
 * - Read committed: a read sees what was committed when it runs, plus the transaction's own writes.
 * - Row locks: `get(…, { forUpdate: true })`, `put`, `insert` and `markProcessed` lock the row until the
 *   transaction ends; a concurrent locker waits. A plain `get` takes no lock, so read-modify-write without
 *   `forUpdate` loses updates exactly as on PostgreSQL.
 * - A lock wait that closes a cycle fails at once with SQLSTATE 40P01 (deadlock detected; the transaction that
 *   closed the cycle is aborted); with `lockTimeoutMs`, a wait longer than that fails with 55P03.
 * - Outbox ids are assigned at commit; `relayOutbox` skips rows claimed by another relay (FOR UPDATE SKIP LOCKED).
 * Not modelled: snapshot isolation levels above read committed, phantom reads through `list` under locks, and the
 * commit-order vs id-order gap of PostgreSQL sequences.
 */
export class SimulatedStore implements Store {
  readonly kind = 'memory' as const;
  readonly namespace: string;
  private readonly clock: Clock;
  private readonly interleaving: StoreInterleaving;
  private readonly state = new Map<string, Map<string, unknown>>();
  private readonly locks = new Map<string, Lock>();
  private readonly outboxRows: OutboxRows;
  private readonly listeners = new Set<() => void>();
  private nextTx = 1;
  private closed = false;

  constructor(options: SimulatedStoreOptions) {
    this.namespace = options.namespace ?? 'simulated';
    this.clock = options.clock ?? systemClock;
    this.interleaving = options.interleaving;
    const from = options.from;
    // Rows are replaced on write, never changed in place, so the copies can share them.
    for (const [name, records] of from?.state ?? []) this.state.set(name, new Map(records));
    this.outboxRows = new OutboxRows(from?.outbox);
    this.nextTx = from?.nextTx ?? 1;
  }

  /** The committed state now; only between transactions (a snapshot does not hold locks or claims). */
  snapshot(): SimulatedStoreSnapshot {
    if (this.locks.size > 0 || this.outboxRows.claimedCount() > 0) {
      throw new ServiceError(
        'store-busy',
        `SimulatedStore(${this.namespace}): snapshot while transactions run`,
      );
    }
    const state = new Map<string, ReadonlyMap<string, unknown>>();
    for (const [name, records] of this.state) state.set(name, new Map(records));
    return { state, outbox: this.outboxRows.view().slice(), nextTx: this.nextTx };
  }

  migrate(): Promise<void> {
    return Promise.resolve();
  }

  async transaction<R>(fn: (tx: StoreTx) => Promise<R>, options: TransactionOptions = {}): Promise<R> {
    this.assertOpen();
    const state: TxState = {
      id: this.nextTx++,
      writes: new Map(),
      held: new Set(),
      appended: [],
      waitingFor: undefined,
    };
    const tx = new SimulatedTx(this, state, options.lockTimeoutMs);
    try {
      const result = await fn(tx);
      await this.interleaving.step();
      this.commit(state);
      return result;
    } finally {
      this.releaseAll(state);
    }
  }

  read<T>(collection: Collection<T>, key: string): Promise<T | undefined> {
    return Promise.resolve(this.state.get(collection.name)?.get(key) as T | undefined);
  }

  list<T>(collection: Collection<T>): Promise<Entry<T>[]> {
    return Promise.resolve(sortedEntries<T>(this.state.get(collection.name)));
  }

  async putIfAbsent<T>(
    collection: Collection<T>,
    key: string,
    value: T,
  ): Promise<{ value: T; created: boolean }> {
    this.assertOpen();
    await this.interleaving.step();
    const records = bucket(this.state, collection.name);
    if (records.has(key)) return { value: records.get(key) as T, created: false };
    records.set(key, value);
    return { value, created: true };
  }

  async relayOutbox(limit: number, publish: OutboxPublisher): Promise<number> {
    this.assertOpen();
    await this.interleaving.step();
    const batch = this.outboxRows.claim(limit);
    if (batch.length === 0) return 0;
    try {
      const confirmed = await publish(batch);
      return this.outboxRows.markPublished(confirmed, this.clock().toISOString());
    } finally {
      this.outboxRows.release(batch);
    }
  }

  /** Outbox rows not yet marked published (the simulated system is busy while there are any). */
  unpublishedCount(): number {
    return this.outboxRows.unpublishedCount();
  }

  outbox(): Promise<OutboxRecord[]> {
    return Promise.resolve(this.outboxRows.view().slice());
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

  // ---- used by SimulatedTx ------------------------------------------------------------------------------

  /** Waits for the scheduler, then for the row lock when `lock` is set. */
  async statement(
    tx: TxState,
    lockKey: string | undefined,
    lockTimeoutMs: number | undefined,
  ): Promise<void> {
    this.assertOpen();
    await this.interleaving.step();
    if (lockKey !== undefined) await this.acquire(tx, lockKey, lockTimeoutMs);
  }

  committed(collection: string, key: string): unknown {
    return this.state.get(collection)?.get(key);
  }

  committedBucket(collection: string): ReadonlyMap<string, unknown> | undefined {
    return this.state.get(collection);
  }

  // ---- internals ---------------------------------------------------------------------------------------

  private acquire(tx: TxState, lockKey: string, lockTimeoutMs: number | undefined): Promise<void> {
    const lock = this.locks.get(lockKey);
    if (!lock) {
      this.locks.set(lockKey, { owner: tx, waiters: [] });
      tx.held.add(lockKey);
      return Promise.resolve();
    }
    if (lock.owner === tx) return Promise.resolve();
    if (this.wouldDeadlock(tx, lock.owner)) {
      return Promise.reject(
        new SimulatedSqlError(
          '40P01',
          `deadlock detected: transaction ${tx.id} waits for ${lockKey.replace('\u0000', ':')} held by ${lock.owner.id}, which waits for ${tx.id}`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      let timer: unknown;
      const waiter: Waiter = {
        tx,
        resolve: () => {
          if (timer !== undefined) this.interleaving.timers.clearTimeout(timer);
          tx.waitingFor = undefined;
          tx.held.add(lockKey);
          resolve();
        },
        reject,
      };
      tx.waitingFor = lockKey;
      lock.waiters.push(waiter);
      if (lockTimeoutMs !== undefined) {
        timer = this.interleaving.timers.setTimeout(() => {
          const index = lock.waiters.indexOf(waiter);
          if (index < 0) return;
          lock.waiters.splice(index, 1);
          tx.waitingFor = undefined;
          reject(
            new SimulatedSqlError('55P03', `canceling statement due to lock timeout (${lockTimeoutMs} ms)`),
          );
        }, lockTimeoutMs);
      }
    });
  }

  /** True when `owner` (transitively) waits for a lock `tx` holds. */
  private wouldDeadlock(tx: TxState, owner: TxState): boolean {
    let current: TxState | undefined = owner;
    const seen = new Set<number>();
    while (current && !seen.has(current.id)) {
      if (current === tx) return true;
      seen.add(current.id);
      const waitingFor: string | undefined = current.waitingFor;
      current = waitingFor === undefined ? undefined : this.locks.get(waitingFor)?.owner;
    }
    return false;
  }

  private releaseAll(tx: TxState): void {
    for (const lockKey of tx.held) {
      const lock = this.locks.get(lockKey);
      if (!lock || lock.owner !== tx) continue;
      const next = lock.waiters.shift();
      if (next) {
        lock.owner = next.tx;
        next.resolve();
      } else this.locks.delete(lockKey);
    }
    tx.held.clear();
  }

  private commit(tx: TxState): void {
    for (const [name, writes] of tx.writes) {
      const records = bucket(this.state, name);
      for (const [key, value] of writes) records.set(key, value);
    }
    this.outboxRows.append(tx.appended);
    if (tx.appended.length > 0) for (const listener of this.listeners) listener();
  }

  private assertOpen(): void {
    if (this.closed) throw new ServiceError('store-closed', `SimulatedStore(${this.namespace}) is closed`);
  }
}

/** One transaction's view: own writes over what is committed at each statement. */
class SimulatedTx implements StoreTx {
  constructor(
    private readonly store: SimulatedStore,
    private readonly state: TxState,
    private readonly lockTimeoutMs: number | undefined,
  ) {}

  async get<T>(collection: Collection<T>, key: string, options?: GetOptions): Promise<T | undefined> {
    const lockKey = options?.forUpdate ? `${collection.name}\u0000${key}` : undefined;
    await this.store.statement(this.state, lockKey, this.lockTimeoutMs);
    return this.current(collection.name, key) as T | undefined;
  }

  async put<T>(collection: Collection<T>, key: string, value: T): Promise<void> {
    await this.store.statement(this.state, `${collection.name}\u0000${key}`, this.lockTimeoutMs);
    bucket(this.state.writes, collection.name).set(key, value);
  }

  async insert<T>(collection: Collection<T>, key: string, value: T): Promise<boolean> {
    return this.insertRow(collection.name, key, value);
  }

  async list<T>(collection: Collection<T>): Promise<Entry<T>[]> {
    await this.store.statement(this.state, undefined, this.lockTimeoutMs);
    const merged = new Map(this.store.committedBucket(collection.name));
    for (const [key, value] of this.state.writes.get(collection.name) ?? []) merged.set(key, value);
    return sortedEntries<T>(merged);
  }

  markProcessed(consumer: string, eventId: string): Promise<boolean> {
    // INSERT … ON CONFLICT DO NOTHING: a concurrent duplicate waits on the row, then sees it.
    return this.insertRow(inboxCollection, `${consumer}\u0000${eventId}`, true);
  }

  async markProcessedAll(consumer: string, eventIds: readonly string[]): Promise<boolean[]> {
    // One statement, but each row is locked in order, as PostgreSQL's insert does.
    const results: boolean[] = [];
    for (const eventId of eventIds) results.push(await this.markProcessed(consumer, eventId));
    return results;
  }

  async lockAll(rows: readonly RowRef[]): Promise<void> {
    // One statement on PostgreSQL; here each row is locked in (collection, key) order, as its LockRows does.
    const ids = [...new Set(rows.map((row) => `${row.collection.name}\u0000${row.key}`))].sort();
    for (const id of ids) await this.store.statement(this.state, id, this.lockTimeoutMs);
  }

  async hasProcessed(consumer: string, eventId: string): Promise<boolean> {
    await this.store.statement(this.state, undefined, this.lockTimeoutMs);
    return this.current(inboxCollection, `${consumer}\u0000${eventId}`) !== undefined;
  }

  appendOutbox(record: NewOutboxRecord): Promise<void> {
    this.state.appended.push(record);
    return Promise.resolve();
  }

  private async insertRow(collection: string, key: string, value: unknown): Promise<boolean> {
    await this.store.statement(this.state, `${collection}\u0000${key}`, this.lockTimeoutMs);
    if (this.current(collection, key) !== undefined) return false;
    bucket(this.state.writes, collection).set(key, value);
    return true;
  }

  private current(collection: string, key: string): unknown {
    const staged = this.state.writes.get(collection);
    if (staged?.has(key)) return staged.get(key);
    return this.store.committed(collection, key);
  }
}
