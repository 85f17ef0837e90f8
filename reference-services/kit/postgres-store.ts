import pg from 'pg';
import { SqlStore, type SqlDriver } from './_internals/sql-store';

/** The default database when neither the options nor `DATABASE_URL` name one. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** Options of `PostgresStore`. */
export interface PostgresStoreOptions {
  /** Default: `DATABASE_URL`, else the local server. */
  readonly url?: string;
  /** Namespace → schema `troupe_<namespace>`: parallel tests use different namespaces. */
  readonly namespace: string;
  /** Connections of the transaction pool. Default 10. */
  readonly poolSize?: number;
  /**
   * Connections for the autocommit writes of simulated external systems (`putIfAbsent`: the payment gateway's
   * ledger). Default 2; a batch whose handlers call the gateway concurrently wants more.
   */
  readonly externalPoolSize?: number;
  /** `application_name` on the server (pg_stat_activity). */
  readonly applicationName?: string;
}

/**
 * The PostgreSQL store (node-postgres). A transaction pool for state/inbox/outbox, a small separate pool for
 * autocommit writes of simulated external systems (so a handler waiting on one never starves the other), one
 * connection for the relays' wakeups (NOTIFY), and a dedicated LISTEN connection that reconnects by itself. Call `migrate()` once before use.
 */
export class PostgresStore extends SqlStore {
  constructor(options: PostgresStoreOptions) {
    super('postgres', options.namespace, postgresDriver(options));
  }

  /** Creates and migrates a store. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const store = new PostgresStore(options);
    try {
      await store.migrate();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }
}

function postgresDriver(options: PostgresStoreOptions): SqlDriver {
  const connectionString = options.url ?? process.env['DATABASE_URL'] ?? DEFAULT_DATABASE_URL;
  const application_name = options.applicationName ?? 'troupe-services';
  const pool = new pg.Pool({ connectionString, max: options.poolSize ?? 10, application_name });
  const external = new pg.Pool({ connectionString, max: options.externalPoolSize ?? 2, application_name });
  // Wakeups only: its own connection (never queued behind the external ledger), commits not waiting for the WAL.
  const notifier = new pg.Pool({
    connectionString,
    max: 1,
    application_name: `${application_name}-notify`,
    options: '-c synchronous_commit=off',
  });
  // An idle client that loses its server emits here; without a listener the process would crash.
  pool.on('error', () => undefined);
  external.on('error', () => undefined);
  notifier.on('error', () => undefined);
  const stopListeners: (() => Promise<void>)[] = [];

  return {
    singleConnection: false,
    autocommit: external,
    async transaction(fn, options) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        // One simple query for both (no parameters: the timeout is an integer).
        await client.query(
          options?.lockTimeoutMs === undefined
            ? 'BEGIN'
            : `BEGIN; SET LOCAL lock_timeout = ${Math.max(1, Math.floor(options.lockTimeoutMs))}`,
        );
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw error;
      } finally {
        // A connection whose ROLLBACK failed is not reusable.
        client.release(broken);
      }
    },
    async notify(channel) {
      await notifier.query('SELECT pg_notify($1, $2)', [channel, '']);
    },
    async listen(channel, onNotify) {
      let client: pg.Client | undefined;
      let stopped = false;
      let retry: NodeJS.Timeout | undefined;
      const reconnectSoon = (): void => {
        if (stopped) return;
        clearTimeout(retry);
        // Reconnect and wake the relay once: notifications sent while we were away are lost.
        retry = setTimeout(() => void connect().then(onNotify, () => undefined), 500);
      };
      const connect = async (): Promise<void> => {
        if (stopped) return;
        const next = new pg.Client({ connectionString, application_name: `${application_name}-listen` });
        next.on('notification', () => onNotify());
        next.on('error', () => {
          if (stopped) return;
          void next.end().catch(() => undefined);
          reconnectSoon();
        });
        try {
          await next.connect();
          await next.query(`LISTEN "${channel}"`);
        } catch (error) {
          await next.end().catch(() => undefined);
          reconnectSoon();
          throw error;
        }
        // `stop` ran while this (re)connect was in flight: it could not end this client, so end it here.
        if (stopped) await next.end().catch(() => undefined);
        else client = next;
      };
      const stop = async (): Promise<void> => {
        stopped = true;
        clearTimeout(retry);
        await client?.end().catch(() => undefined);
      };
      // Registered before the first attempt: a LISTEN that fails keeps retrying in the background, and `close()`
      // must still be able to stop those retries.
      stopListeners.push(stop);
      await connect();
      return stop;
    },
    async close() {
      await Promise.all(stopListeners.map((stop) => stop()));
      await Promise.all([pool.end(), external.end(), notifier.end()]);
    },
  };
}
