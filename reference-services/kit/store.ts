import type { Collection } from './collection';

/** An outgoing event written in the same transaction as the state change that caused it. */
export interface NewOutboxRecord {
  /** Business key (orderId): the relay preserves publication order per aggregate. */
  readonly aggregateId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly routingKey: string;
  readonly correlationId: string;
  /** The serialized envelope (JSON). */
  readonly body: string;
}

/** An outbox row as stored: `id` is the store's insertion sequence (the publication order). */
export interface OutboxRecord extends NewOutboxRecord {
  readonly id: number;
  /** ISO time the relay marked it published (after the broker confirmed it), or null. */
  readonly publishedAt: string | null;
}

/** A key and its record. */
export interface Entry<T> {
  readonly key: string;
  readonly value: T;
}

/** One state row, by collection and key. */
export interface RowRef {
  readonly collection: Collection<unknown>;
  readonly key: string;
}

/** Options of a read inside a transaction. */
export interface GetOptions {
  /** Lock the row until the transaction ends (`SELECT … FOR UPDATE`); concurrent writers wait. */
  readonly forUpdate?: boolean;
}

/**
 * What a handler may do inside one transaction: small, typed state access, the inbox, the outbox. The same service
 * code runs on the memory, PostgreSQL and PGlite stores.
 */
export interface StoreTx {
  get<T>(collection: Collection<T>, key: string, options?: GetOptions): Promise<T | undefined>;
  /** Inserts or replaces. */
  put<T>(collection: Collection<T>, key: string, value: T): Promise<void>;
  /** Inserts unless the key exists; true when inserted. */
  insert<T>(collection: Collection<T>, key: string, value: T): Promise<boolean>;
  list<T>(collection: Collection<T>): Promise<Entry<T>[]>;
  /**
   * Inbox: records that `consumer` processed `eventId`. Returns false when it was already recorded (a duplicate).
   * Concurrent duplicates serialize on the row: the second waits for the first to commit, then sees false.
   */
  markProcessed(consumer: string, eventId: string): Promise<boolean>;
  /**
   * Inbox, for a batch: `markProcessed` of each id in order, in one statement where the store can (a repeated id
   * is a duplicate of its first occurrence). Optional: without it, callers mark one by one.
   */
  markProcessedAll?(consumer: string, eventIds: readonly string[]): Promise<boolean[]>;
  /**
   * Locks these rows until the transaction ends, as `get(…, { forUpdate: true })` of each would, in one statement
   * where the store can, in (collection, key) order (two batches locking overlapping rows never deadlock on them).
   * A later `get` of a locked row in this transaction needs no round trip. Optional: without it, handlers lock
   * their rows one `get` at a time.
   */
  lockAll?(rows: readonly RowRef[]): Promise<void>;
  /** Inbox: whether the row exists (read only; used by the `inventory-dedupe-after-commit` bug). */
  hasProcessed(consumer: string, eventId: string): Promise<boolean>;
  appendOutbox(record: NewOutboxRecord): Promise<void>;
}

/**
 * Publishes a claimed outbox batch in order; resolves with the ids the broker confirmed (a prefix is fine). Throwing
 * leaves every row of the batch unpublished, so it is published again (at-least-once).
 */
export type OutboxPublisher = (rows: readonly OutboxRecord[]) => Promise<readonly number[]>;

/** Options of one transaction. */
export interface TransactionOptions {
  /**
   * Give up (throw, roll back) when a row lock is not granted within this time, instead of waiting — and instead of
   * waiting for the server's deadlock detector (1 s by default). Batches use it and fall back to one by one.
   */
  readonly lockTimeoutMs?: number;
}

/** Which backend a store runs on. */
export type StoreKind = 'memory' | 'postgres' | 'pglite';

/**
 * The storage port of the reference services. One store holds one namespace (a PostgreSQL schema), so parallel
 * tests never share rows.
 */
export interface Store {
  readonly kind: StoreKind;
  readonly namespace: string;
  /** Creates tables if missing; idempotent. */
  migrate(): Promise<void>;
  /** Runs `fn` in one transaction: commits when it resolves, rolls back when it throws (and rethrows). */
  transaction<R>(fn: (tx: StoreTx) => Promise<R>, options?: TransactionOptions): Promise<R>;
  /** Committed read, outside any transaction. */
  read<T>(collection: Collection<T>, key: string): Promise<T | undefined>;
  /** Committed records of a collection, by key. */
  list<T>(collection: Collection<T>): Promise<Entry<T>[]>;
  /**
   * Writes `value` unless `key` exists, committed immediately and outside any open transaction; returns what is
   * stored. For simulated external systems (the payment gateway's idempotency ledger) that must not roll back with
   * the service's transaction.
   */
  putIfAbsent<T>(collection: Collection<T>, key: string, value: T): Promise<{ value: T; created: boolean }>;
  /**
   * Claims up to `limit` unpublished outbox rows, calls `publish`, and marks the ids it returns as published.
   * Rows locked by another relay are skipped, and so is every row whose aggregate has an earlier unpublished row
   * this call did not claim, which keeps per-aggregate order with several relays. Returns how many were marked.
   */
  relayOutbox(limit: number, publish: OutboxPublisher): Promise<number>;
  /** All outbox rows, oldest first (tests, verification, the bench). */
  outbox(): Promise<OutboxRecord[]>;
  /** Calls `listener` after a commit that wrote outbox rows (LISTEN/NOTIFY on PostgreSQL). Returns unsubscribe. */
  onOutboxWritten(listener: () => void): () => void;
  close(): Promise<void>;
}
