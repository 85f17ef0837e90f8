import { AsyncLocalStorage } from 'node:async_hooks';
import type { Collection } from '../collection';
import { ServiceError } from '../errors';
import type {
  Entry,
  NewOutboxRecord,
  OutboxPublisher,
  OutboxRecord,
  RowRef,
  Store,
  StoreKind,
  StoreTx,
  TransactionOptions,
} from '../store';

/** The one call both drivers (node-postgres, PGlite) share. */
export interface SqlConnection {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

/** What differs between PostgreSQL and PGlite. */
export interface SqlDriver {
  /** PGlite has one connection: statements issued while a transaction is open must join it. */
  readonly singleConnection: boolean;
  /**
   * Runs `fn` between BEGIN and COMMIT (ROLLBACK when it throws) on one connection; with `lockTimeoutMs`, the
   * transaction's `lock_timeout` is set (sent with BEGIN where the driver can: one round trip, not two).
   */
  transaction<R>(
    fn: (connection: SqlConnection) => Promise<R>,
    options?: { readonly lockTimeoutMs?: number },
  ): Promise<R>;
  /** Autocommit statements (reads, the external ledger). */
  readonly autocommit: SqlConnection;
  /**
   * NOTIFY `channel` in a transaction of its own, committed asynchronously (a lost wakeup only costs a relay's
   * poll). Sent after the commit that wrote outbox rows, not inside it: PostgreSQL serializes the commits of
   * notifying transactions on one database-wide lock held through their WAL flush, so in-transaction NOTIFY would
   * make every outbox-writing commit wait for the one before it.
   */
  notify(channel: string): Promise<void>;
  /** LISTEN on `channel`; returns how to stop. */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** A namespace as a safe PostgreSQL schema name: `troupe_<namespace>` in [a-z0-9_], at most 63 bytes. */
export function schemaNameFor(namespace: string): string {
  const cleaned = namespace.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  if (cleaned.length === 0) throw new ServiceError('invalid-config', 'store namespace must not be empty');
  return `troupe_${cleaned}`.slice(0, 63);
}

interface OutboxRow {
  id: string | number;
  aggregate_id: string;
  event_id: string;
  event_type: string;
  routing_key: string;
  correlation_id: string;
  body: string;
  published_at: Date | string | null;
}

function toRecord(row: OutboxRow): OutboxRecord {
  const published = row.published_at;
  return {
    id: Number(row.id),
    aggregateId: row.aggregate_id,
    eventId: row.event_id,
    eventType: row.event_type,
    routingKey: row.routing_key,
    correlationId: row.correlation_id,
    body: row.body,
    publishedAt: published === null ? null : new Date(published).toISOString(),
  };
}

/**
 * The SQL store shared by `PostgresStore` and `PGliteStore`: one schema per namespace with three tables —
 * `state` (collection, key, jsonb value), `inbox` (consumer, event_id) and `outbox` (bigserial id = publication
 * order). After a commit that wrote outbox rows, a NOTIFY wakes the relays at once.
 */
export class SqlStore implements Store {
  readonly kind: StoreKind;
  readonly namespace: string;
  readonly schema: string;
  private readonly channel: string;
  private readonly driver: SqlDriver;
  private readonly current = new AsyncLocalStorage<SqlConnection>();
  private readonly listeners = new Set<() => void>();
  private stopListening: Promise<() => Promise<void>> | undefined;
  /** The NOTIFY in flight, and whether commits since it was sent need another. */
  private notifying: Promise<void> | undefined;
  private notifyAgain = false;
  private closed = false;

  constructor(kind: StoreKind, namespace: string, driver: SqlDriver) {
    this.kind = kind;
    this.namespace = namespace;
    this.schema = schemaNameFor(namespace);
    this.channel = `${this.schema}_outbox`;
    this.driver = driver;
  }

  async migrate(): Promise<void> {
    const s = `"${this.schema}"`;
    try {
      await this.driver.transaction(async (db) => {
        // Several processes may migrate the same namespace at once: serialize on an advisory lock.
        await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`troupe-migrate:${this.schema}`]);
        await db.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
        await db.query(
          `CREATE TABLE IF NOT EXISTS ${s}.state (collection text NOT NULL, key text NOT NULL, value jsonb NOT NULL,
             PRIMARY KEY (collection, key))`,
        );
        await db.query(
          `CREATE TABLE IF NOT EXISTS ${s}.inbox (consumer text NOT NULL, event_id text NOT NULL,
             processed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (consumer, event_id))`,
        );
        await db.query(
          `CREATE TABLE IF NOT EXISTS ${s}.outbox (id bigserial PRIMARY KEY, aggregate_id text NOT NULL,
             event_id text NOT NULL, event_type text NOT NULL, routing_key text NOT NULL,
             correlation_id text NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
             published_at timestamptz)`,
        );
        await db.query(
          `CREATE INDEX IF NOT EXISTS outbox_unpublished ON ${s}.outbox (id) WHERE published_at IS NULL`,
        );
        await db.query(
          `CREATE INDEX IF NOT EXISTS outbox_aggregate_unpublished ON ${s}.outbox (aggregate_id, id)
             WHERE published_at IS NULL`,
        );
      });
    } catch (cause) {
      throw new ServiceError(
        'store-unavailable',
        `migrating schema ${this.schema} failed: ${String(cause)}`,
        {
          cause,
        },
      );
    }
  }

  /** Drops the namespace's schema and everything in it (tests clean up with this). */
  async dropSchema(): Promise<void> {
    await this.driver.autocommit.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`);
  }

  async transaction<R>(fn: (tx: StoreTx) => Promise<R>, options?: TransactionOptions): Promise<R> {
    this.assertOpen();
    const lockTimeoutMs =
      options?.lockTimeoutMs === undefined ? undefined : Math.max(1, Math.floor(options.lockTimeoutMs));
    let appended = false;
    const result = await this.driver.transaction(
      async (db) => {
        const tx = new SqlTx(db, this.schema);
        // Only a single-connection driver needs to know the open transaction (see `connection()`); on Node 20 the
        // first `run` switches on promise hooks for the whole process, a cost on every promise.
        const value = this.driver.singleConnection ? await this.current.run(db, () => fn(tx)) : await fn(tx);
        appended = await tx.flush();
        return value;
      },
      lockTimeoutMs === undefined ? undefined : { lockTimeoutMs },
    );
    if (appended) this.notifyCommitted();
    return result;
  }

  async read<T>(collection: Collection<T>, key: string): Promise<T | undefined> {
    const { rows } = await this.connection().query<{ value: T }>(
      `SELECT value FROM "${this.schema}".state WHERE collection = $1 AND key = $2`,
      [collection.name, key],
    );
    return rows[0]?.value;
  }

  async list<T>(collection: Collection<T>): Promise<Entry<T>[]> {
    const { rows } = await this.connection().query<{ key: string; value: T }>(
      `SELECT key, value FROM "${this.schema}".state WHERE collection = $1 ORDER BY key COLLATE "C"`,
      [collection.name],
    );
    return rows.map((row) => ({ key: row.key, value: row.value }));
  }

  async putIfAbsent<T>(
    collection: Collection<T>,
    key: string,
    value: T,
  ): Promise<{ value: T; created: boolean }> {
    this.assertOpen();
    const db = this.connection();
    const inserted = await db.query<{ value: T }>(
      `INSERT INTO "${this.schema}".state (collection, key, value) VALUES ($1, $2, $3::jsonb)
         ON CONFLICT (collection, key) DO NOTHING RETURNING value`,
      [collection.name, key, JSON.stringify(value)],
    );
    if (inserted.rows[0]) return { value: inserted.rows[0].value, created: true };
    const existing = await this.read(collection, key);
    if (existing === undefined) {
      throw new ServiceError(
        'store-transaction-failed',
        `putIfAbsent(${collection.name}, ${key}): row vanished`,
      );
    }
    return { value: existing, created: false };
  }

  async relayOutbox(limit: number, publish: OutboxPublisher): Promise<number> {
    this.assertOpen();
    const s = `"${this.schema}"`;
    return this.driver.transaction(async (db) => {
      // Claim and check in one statement. Per-aggregate order with several relays: an earlier unpublished row of
      // the same aggregate that this relay did not claim (another relay holds it) blocks every later row of it.
      const claimed = await db.query<OutboxRow & { blocked: boolean }>(
        `WITH claimed AS MATERIALIZED (
           SELECT id, aggregate_id, event_id, event_type, routing_key, correlation_id, body, published_at
             FROM ${s}.outbox WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
         SELECT c.*, EXISTS (
             SELECT 1 FROM ${s}.outbox o
              WHERE o.published_at IS NULL AND o.aggregate_id = c.aggregate_id AND o.id < c.id
                AND o.id NOT IN (SELECT id FROM claimed)) AS blocked
           FROM claimed c ORDER BY c.id`,
        [limit],
      );
      const ready = claimed.rows.filter((row) => !row.blocked).map(toRecord);
      if (ready.length === 0) return 0;
      const confirmed = await publish(ready);
      if (confirmed.length > 0) {
        await db.query(`UPDATE ${s}.outbox SET published_at = now() WHERE id = ANY($1::bigint[])`, [
          [...confirmed],
        ]);
      }
      return confirmed.length;
    });
  }

  async outbox(): Promise<OutboxRecord[]> {
    const { rows } = await this.connection().query<OutboxRow>(
      `SELECT id, aggregate_id, event_id, event_type, routing_key, correlation_id, body, published_at
         FROM "${this.schema}".outbox ORDER BY id`,
    );
    return rows.map(toRecord);
  }

  onOutboxWritten(listener: () => void): () => void {
    this.listeners.add(listener);
    if (!this.stopListening) {
      this.stopListening = this.driver.listen(this.channel, () => {
        for (const notify of this.listeners) notify();
      });
      // A failed LISTEN only costs latency (relays also poll); report it once, not once per subscriber.
      this.stopListening.catch((error: unknown) =>
        console.error(`[troupe store] LISTEN failed: ${String(error)}`),
      );
    }
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    await this.notifying;
    const stop = await this.stopListening?.catch(() => undefined);
    await stop?.().catch(() => undefined);
    await this.driver.close();
  }

  /**
   * Wakes the relays after a commit that wrote outbox rows. One NOTIFY in flight at a time: commits while it is
   * in flight are covered by one more sent when it returns (a relay drains everything it can claim per wakeup).
   */
  private notifyCommitted(): void {
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    this.notifyAgain = false;
    this.notifying = this.driver
      .notify(this.channel)
      // Never fatal: a relay that misses a wakeup finds the rows at its next poll.
      .catch(() => undefined)
      .finally(() => {
        this.notifying = undefined;
        if (this.notifyAgain && !this.closed) this.notifyCommitted();
      });
  }

  /** The open transaction's connection on a single-connection driver (PGlite), else autocommit. */
  private connection(): SqlConnection {
    return (this.driver.singleConnection ? this.current.getStore() : undefined) ?? this.driver.autocommit;
  }

  private assertOpen(): void {
    if (this.closed) throw new ServiceError('store-closed', `${this.kind} store ${this.namespace} is closed`);
  }
}

/**
 * One SQL transaction seen through the `StoreTx` port. Writes are buffered and sent at the end in one statement
 * per table (`flush`, before COMMIT): a batch of events costs one round trip for its state writes and one for its
 * outbox rows instead of one per write. Reads see the buffered writes; a write takes its row lock at flush, a
 * `forUpdate` read still takes it at once. Rows locked by `lockAll` are kept: reading them again needs no round trip
 * (nobody else can change a row this transaction holds locked).
 */
class SqlTx implements StoreTx {
  private readonly s: string;
  private readonly puts = new Map<string, { collection: string; key: string; value: unknown }>();
  private readonly outboxRows: NewOutboxRecord[] = [];
  /** Rows this transaction holds locked (by `lockAll`), with their current value. */
  private readonly locked = new Map<string, unknown>();

  constructor(
    private readonly db: SqlConnection,
    schema: string,
  ) {
    this.s = `"${schema}"`;
  }

  async get<T>(
    collection: Collection<T>,
    key: string,
    options?: { forUpdate?: boolean },
  ): Promise<T | undefined> {
    const id = `${collection.name}\u0000${key}`;
    const buffered = this.puts.get(id);
    if (buffered && !options?.forUpdate) return buffered.value as T;
    if (this.locked.has(id)) return this.locked.get(id) as T;
    const { rows } = await this.db.query<{ value: T }>(
      `SELECT value FROM ${this.s}.state WHERE collection = $1 AND key = $2${options?.forUpdate ? ' FOR UPDATE' : ''}`,
      [collection.name, key],
    );
    return buffered ? (buffered.value as T) : rows[0]?.value;
  }

  put<T>(collection: Collection<T>, key: string, value: T): Promise<void> {
    // Insertion order is kept (a Map): the flush writes rows in the order they were first put.
    const id = `${collection.name}\u0000${key}`;
    this.puts.set(id, { collection: collection.name, key, value });
    if (this.locked.has(id)) this.locked.set(id, value);
    return Promise.resolve();
  }

  async lockAll(rows: readonly RowRef[]): Promise<void> {
    const wanted = new Map<string, RowRef>();
    for (const row of rows) {
      const id = `${row.collection.name}\u0000${row.key}`;
      if (!this.locked.has(id)) wanted.set(id, row);
    }
    if (wanted.size === 0) return;
    const refs = [...wanted.values()];
    // LockRows sits above the sort: rows are locked in (collection, key) order, byte-wise like the memory stores.
    const { rows: found } = await this.db.query<{ collection: string; key: string; value: unknown }>(
      `SELECT s.collection, s.key, s.value FROM ${this.s}.state s
         JOIN unnest($1::text[], $2::text[]) AS u(c, k) ON s.collection = u.c AND s.key = u.k
         ORDER BY s.collection COLLATE "C", s.key COLLATE "C" FOR UPDATE OF s`,
      [refs.map((ref) => ref.collection.name), refs.map((ref) => ref.key)],
    );
    // A row that does not exist is not locked (FOR UPDATE locks rows, not keys): its `get` still asks the server.
    for (const row of found) {
      const id = `${row.collection}\u0000${row.key}`;
      const buffered = this.puts.get(id);
      this.locked.set(id, buffered ? buffered.value : row.value);
    }
  }

  async insert<T>(collection: Collection<T>, key: string, value: T): Promise<boolean> {
    if (this.puts.has(`${collection.name}\u0000${key}`)) return false;
    const { rows } = await this.db.query(
      `INSERT INTO ${this.s}.state (collection, key, value) VALUES ($1, $2, $3::jsonb)
         ON CONFLICT (collection, key) DO NOTHING RETURNING 1`,
      [collection.name, key, JSON.stringify(value)],
    );
    return rows.length > 0;
  }

  async list<T>(collection: Collection<T>): Promise<Entry<T>[]> {
    await this.flushPuts();
    const { rows } = await this.db.query<{ key: string; value: T }>(
      `SELECT key, value FROM ${this.s}.state WHERE collection = $1 ORDER BY key COLLATE "C"`,
      [collection.name],
    );
    return rows.map((row) => ({ key: row.key, value: row.value }));
  }

  async markProcessed(consumer: string, eventId: string): Promise<boolean> {
    const { rows } = await this.db.query(
      `INSERT INTO ${this.s}.inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
      [consumer, eventId],
    );
    return rows.length > 0;
  }

  async markProcessedAll(consumer: string, eventIds: readonly string[]): Promise<boolean[]> {
    // One statement for the batch; a repeated id inside it conflicts with its own first row, as one by one.
    const { rows } = await this.db.query<{ event_id: string }>(
      `INSERT INTO ${this.s}.inbox (consumer, event_id) SELECT $1::text, id FROM unnest($2::text[]) WITH ORDINALITY AS t(id, n)
         ORDER BY n ON CONFLICT DO NOTHING RETURNING event_id`,
      [consumer, eventIds],
    );
    const fresh = new Set(rows.map((row) => row.event_id));
    return eventIds.map((id) => fresh.delete(id));
  }

  async hasProcessed(consumer: string, eventId: string): Promise<boolean> {
    const { rows } = await this.db.query(
      `SELECT 1 FROM ${this.s}.inbox WHERE consumer = $1 AND event_id = $2`,
      [consumer, eventId],
    );
    return rows.length > 0;
  }

  appendOutbox(record: NewOutboxRecord): Promise<void> {
    this.outboxRows.push(record);
    return Promise.resolve();
  }

  /**
   * Sends the buffered writes in one statement: state rows in one upsert, outbox rows in one insert (ids in append
   * order). True when outbox rows were written.
   */
  async flush(): Promise<boolean> {
    if (this.outboxRows.length === 0) {
      await this.flushPuts();
      return false;
    }
    const rows = this.outboxRows.splice(0);
    const puts = this.takePuts();
    // The state upsert rides along as a data-modifying CTE (run once, whether or not it is referenced).
    const withState =
      puts.length === 0
        ? ''
        : `WITH upserted AS (INSERT INTO ${this.s}.state (collection, key, value)
             SELECT c, k, v::jsonb FROM unnest($7::text[], $8::text[], $9::text[]) WITH ORDINALITY AS u(c, k, v, n)
             ORDER BY n ON CONFLICT (collection, key) DO UPDATE SET value = EXCLUDED.value RETURNING 1) `;
    await this.db.query(
      `${withState}INSERT INTO ${this.s}.outbox (aggregate_id, event_id, event_type, routing_key, correlation_id, body)
         SELECT a, e, t, r, c, b FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
         WITH ORDINALITY AS u(a, e, t, r, c, b, n) ORDER BY n`,
      [
        rows.map((row) => row.aggregateId),
        rows.map((row) => row.eventId),
        rows.map((row) => row.eventType),
        rows.map((row) => row.routingKey),
        rows.map((row) => row.correlationId),
        rows.map((row) => row.body),
        ...(puts.length === 0 ? [] : stateColumns(puts)),
      ],
    );
    return true;
  }

  private async flushPuts(): Promise<void> {
    const puts = this.takePuts();
    if (puts.length === 0) return;
    await this.db.query(
      `INSERT INTO ${this.s}.state (collection, key, value)
         SELECT c, k, v::jsonb FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS u(c, k, v, n)
         ORDER BY n ON CONFLICT (collection, key) DO UPDATE SET value = EXCLUDED.value`,
      stateColumns(puts),
    );
  }

  /** The buffered state writes, in the order they were first put; the buffer is emptied. */
  private takePuts(): { collection: string; key: string; value: unknown }[] {
    const puts = [...this.puts.values()];
    this.puts.clear();
    return puts;
  }
}

/** Buffered state writes as the three array parameters of the upsert. */
function stateColumns(puts: readonly { collection: string; key: string; value: unknown }[]): string[][] {
  return [puts.map((p) => p.collection), puts.map((p) => p.key), puts.map((p) => JSON.stringify(p.value))];
}
