import pg from 'pg';
import type { EventIdentity } from '../events/envelope-adapter';
import type { ChangeSource } from './event-log';
import { ObserveError } from './observe-error';
import type { ObservedEvent } from './observed-event';

export interface PgEventStoreOptions {
  /** Default: DATABASE_URL, then postgres://postgres@127.0.0.1:5432/test. */
  readonly connectionString?: string;
  /** Isolates runs: the store lives in schema `troupe_events_<namespace>`. Letters, digits, `_`. */
  readonly namespace: string;
}

/** A stored delivery with its causal depth, as rebuilt by the recursive query. */
export interface StoredEvent extends ObservedEvent {
  /** Depth in the causal tree of its flow (0 = root); undefined when not reachable from a root. */
  readonly depth: number | undefined;
}

/**
 * A persistent event store in PostgreSQL: every delivery a log records, one row each (never deduplicated), so a
 * flow can be traced after the run (`troupe trace`). Causal chains are rebuilt with recursive CTEs.
 */
export class PgEventStore {
  readonly schema: string;
  private readonly pool: pg.Pool;
  private pending: Promise<void> = Promise.resolve();
  private failure: unknown;

  private constructor(pool: pg.Pool, schema: string) {
    this.pool = pool;
    this.schema = schema;
  }

  /** Connects and creates the schema and table if needed. */
  static async open(options: PgEventStoreOptions): Promise<PgEventStore> {
    if (!/^[A-Za-z0-9_]{1,40}$/.test(options.namespace)) {
      throw new ObserveError(
        'invalid-argument',
        `PgEventStore: namespace "${options.namespace}" must be 1-40 letters, digits or underscores`,
      );
    }
    const schema = `troupe_events_${options.namespace.toLowerCase()}`;
    const pool = new pg.Pool({
      connectionString:
        options.connectionString ?? process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test',
      max: 2,
    });
    // An idle client losing its server emits here; without a listener the process would crash.
    pool.on('error', () => undefined);
    const store = new PgEventStore(pool, schema);
    try {
      await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema};
        CREATE TABLE IF NOT EXISTS ${schema}.deliveries (
          id bigserial PRIMARY KEY,
          received_at double precision NOT NULL,
          source text NOT NULL,
          exchange text NOT NULL,
          routing_key text NOT NULL,
          redelivered boolean NOT NULL,
          delivery_tag bigint NOT NULL,
          headers jsonb NOT NULL,
          body bytea NOT NULL,
          event_id text, event_type text, correlation_id text, causation_id text,
          business_key text, event_timestamp text, payload jsonb);
        CREATE INDEX IF NOT EXISTS deliveries_correlation ON ${schema}.deliveries (correlation_id);
        CREATE INDEX IF NOT EXISTS deliveries_event ON ${schema}.deliveries (event_id);
        CREATE INDEX IF NOT EXISTS deliveries_causation ON ${schema}.deliveries (causation_id);`);
    } catch (error) {
      await pool.end();
      throw new ObserveError('store-failed', `PgEventStore: could not create schema ${schema}`, {
        cause: error,
      });
    }
    return store;
  }

  /** Appends deliveries in one statement. */
  async append(events: readonly ObservedEvent[]): Promise<void> {
    if (events.length === 0) return;
    const columns = 15;
    const values: unknown[] = [];
    const tuples = events.map((event, i) => {
      const id = event.identity;
      values.push(
        event.receivedAt,
        event.source,
        event.exchange,
        event.routingKey,
        event.redelivered,
        event.deliveryTag,
        JSON.stringify(event.headers, jsonSafe),
        Buffer.from(event.body),
        id?.eventId ?? null,
        id?.eventType ?? null,
        id?.correlationId ?? null,
        id?.causationId ?? null,
        id?.businessKey ?? null,
        id?.timestamp ?? null,
        id?.payload === undefined ? null : JSON.stringify(id.payload),
      );
      return `(${Array.from({ length: columns }, (_, c) => `$${i * columns + c + 1}`).join(',')})`;
    });
    try {
      await this.pool.query(
        `INSERT INTO ${this.schema}.deliveries (received_at, source, exchange, routing_key, redelivered,
          delivery_tag, headers, body, event_id, event_type, correlation_id, causation_id, business_key,
          event_timestamp, payload) VALUES ${tuples.join(',')}`,
        values,
      );
    } catch (error) {
      throw new ObserveError('store-failed', `PgEventStore: could not append ${events.length} deliveries`, {
        cause: error,
      });
    }
  }

  /**
   * Persists everything `log` records from now on, batching writes in arrival order. Returns the function that
   * stops persisting; `flush()` waits for the writes.
   */
  persist(log: ChangeSource): () => void {
    let batch: ObservedEvent[] = [];
    let scheduled = false;
    return log.subscribe((event) => {
      batch.push(event);
      if (scheduled) return;
      scheduled = true;
      this.pending = this.pending.then(async () => {
        scheduled = false;
        const writing = batch;
        batch = [];
        try {
          await this.append(writing);
        } catch (error) {
          this.failure ??= error;
        }
      });
    });
  }

  /** Waits for pending `persist` writes; throws the first write failure. */
  async flush(): Promise<void> {
    await this.pending;
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      throw failure instanceof ObserveError
        ? failure
        : new ObserveError('store-failed', 'PgEventStore: a background write failed', { cause: failure });
    }
  }

  /**
   * Every delivery of a flow with its causal depth, in arrival order. Roots are events whose cause is not in the
   * flow; a recursive CTE walks causationId → eventId downwards (cycle-safe through the visited path).
   */
  async flow(correlationId: string): Promise<StoredEvent[]> {
    const result = await this.query(
      `WITH RECURSIVE events AS (
         SELECT DISTINCT ON (event_id) event_id, causation_id FROM ${this.schema}.deliveries
         WHERE correlation_id = $1 ORDER BY event_id, id),
       tree(event_id, depth, path) AS (
         SELECT e.event_id, 0, ARRAY[e.event_id] FROM events e
         WHERE e.causation_id IS NULL OR NOT EXISTS (SELECT 1 FROM events p WHERE p.event_id = e.causation_id)
         UNION ALL
         SELECT c.event_id, t.depth + 1, t.path || c.event_id FROM events c JOIN tree t ON c.causation_id = t.event_id
         WHERE NOT c.event_id = ANY(t.path))
       SELECT d.*, (SELECT min(depth) FROM tree WHERE tree.event_id = d.event_id) AS depth
       FROM ${this.schema}.deliveries d WHERE d.correlation_id = $1 ORDER BY d.received_at, d.id`,
      [correlationId],
    );
    return result.rows.map(toStored);
  }

  /** The causal chain ending at `eventId`, root first (first delivery of each event), via a recursive CTE. */
  async chain(eventId: string): Promise<StoredEvent[]> {
    const result = await this.query(
      `WITH RECURSIVE events AS (
         SELECT DISTINCT ON (event_id) * FROM ${this.schema}.deliveries WHERE event_id IS NOT NULL
         ORDER BY event_id, id),
       up AS (
         SELECT e.*, 0 AS height, ARRAY[e.event_id] AS path FROM events e WHERE e.event_id = $1
         UNION ALL
         SELECT p.*, u.height + 1, u.path || p.event_id FROM events p JOIN up u ON p.event_id = u.causation_id
         WHERE NOT p.event_id = ANY(u.path))
       SELECT *, (max(height) OVER () - height) AS depth FROM up ORDER BY height DESC`,
      [eventId],
    );
    return result.rows.map(toStored);
  }

  /** CorrelationIds stored, most recent first. */
  async correlationIds(limit = 50): Promise<string[]> {
    const result = await this.query(
      `SELECT correlation_id FROM ${this.schema}.deliveries WHERE correlation_id IS NOT NULL
       GROUP BY correlation_id ORDER BY max(id) DESC LIMIT $1`,
      [limit],
    );
    return result.rows.map((row) => String(row['correlation_id']));
  }

  /** Drops the schema and everything in it. */
  async drop(): Promise<void> {
    await this.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`, []);
  }

  /** Waits for pending writes (ignoring their failures) and closes the pool. */
  async close(): Promise<void> {
    await this.pending;
    await this.pool.end();
  }

  private async query(sql: string, params: unknown[]): Promise<pg.QueryResult<Record<string, unknown>>> {
    try {
      return await this.pool.query<Record<string, unknown>>(sql, params);
    } catch (error) {
      throw new ObserveError('store-failed', `PgEventStore (${this.schema}): query failed`, { cause: error });
    }
  }
}

function toStored(row: Record<string, unknown>): StoredEvent {
  const text = (key: string): string | undefined => {
    const value = row[key];
    return typeof value === 'string' ? value : undefined;
  };
  const eventId = text('event_id');
  const eventType = text('event_type');
  const correlationId = text('correlation_id');
  const identity: EventIdentity | undefined =
    eventId !== undefined && eventType !== undefined && correlationId !== undefined
      ? {
          eventId,
          eventType,
          correlationId,
          causationId: text('causation_id'),
          businessKey: text('business_key'),
          timestamp: text('event_timestamp'),
          payload: row['payload'] ?? undefined,
        }
      : undefined;
  const depth = row['depth'];
  return {
    seq: Number(row['id']),
    receivedAt: Number(row['received_at']),
    source: text('source') ?? '',
    exchange: text('exchange') ?? '',
    routingKey: text('routing_key') ?? '',
    redelivered: row['redelivered'] === true,
    deliveryTag: Number(row['delivery_tag']),
    headers: (row['headers'] ?? {}) as Record<string, unknown>,
    body: new Uint8Array(row['body'] as Buffer),
    identity,
    depth: depth === null || depth === undefined ? undefined : Number(depth),
  };
}

/** Headers may carry Buffers or bigints; store them as text rather than fail. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  return value;
}
