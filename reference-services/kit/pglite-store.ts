import type { PGlite } from '@electric-sql/pglite';
import { importOptional } from '../../harness/_internals/optional-dependency';
import { SqlStore, type SqlConnection, type SqlDriver } from './_internals/sql-store';

/** Options of `PGliteStore`. */
export interface PGliteStoreOptions {
  readonly namespace: string;
  /** Where PGlite keeps its files; default in memory. */
  readonly dataDir?: string;
}

/**
 * The embedded PostgreSQL store (PGlite): the same SQL as `PostgresStore`, used when no PostgreSQL server is
 * reachable. One connection: transactions run one at a time, and the external ledger (`putIfAbsent`) joins the open
 * transaction instead of committing on its own.
 */
export class PGliteStore extends SqlStore {
  private constructor(namespace: string, db: PGlite) {
    super('pglite', namespace, pgliteDriver(db));
  }

  /** Creates and migrates a store (PGlite is an optional dependency, loaded here on first use). */
  static async open(options: PGliteStoreOptions): Promise<PGliteStore> {
    const { PGlite } = await importOptional(
      '@electric-sql/pglite',
      'the embedded PostgreSQL store',
      () => import('@electric-sql/pglite'),
    );
    const store = new PGliteStore(
      options.namespace,
      options.dataDir ? new PGlite(options.dataDir) : new PGlite(),
    );
    await store.migrate();
    return store;
  }
}

function pgliteDriver(db: PGlite): SqlDriver {
  const connection: SqlConnection = {
    query: <R>(text: string, params?: unknown[]) => db.query<R>(text, params),
  };
  return {
    singleConnection: true,
    autocommit: connection,
    transaction: (fn, options) =>
      db.transaction(async (tx) => {
        if (options?.lockTimeoutMs !== undefined) {
          await tx.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(options.lockTimeoutMs))}`);
        }
        return fn({ query: <R>(text: string, params?: unknown[]) => tx.query<R>(text, params) });
      }),
    async notify(channel) {
      await db.query('SELECT pg_notify($1, $2)', [channel, '']);
    },
    async listen(channel, onNotify) {
      const unsubscribe = await db.listen(channel, () => onNotify());
      return () => unsubscribe();
    },
    close: () => db.close(),
  };
}
