import { PGlite } from '@electric-sql/pglite';
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
  constructor(options: PGliteStoreOptions) {
    super('pglite', options.namespace, pgliteDriver(options));
  }

  /** Creates and migrates a store. */
  static async open(options: PGliteStoreOptions): Promise<PGliteStore> {
    const store = new PGliteStore(options);
    await store.migrate();
    return store;
  }
}

function pgliteDriver(options: PGliteStoreOptions): SqlDriver {
  const db = options.dataDir ? new PGlite(options.dataDir) : new PGlite();
  const connection: SqlConnection = {
    query: <R>(text: string, params?: unknown[]) => db.query<R>(text, params),
  };
  return {
    singleConnection: true,
    autocommit: connection,
    transaction: (fn) =>
      db.transaction((tx) =>
        fn({ query: <R>(text: string, params?: unknown[]) => tx.query<R>(text, params) }),
      ),
    async listen(channel, onNotify) {
      const unsubscribe = await db.listen(channel, () => onNotify());
      return () => unsubscribe();
    },
    close: () => db.close(),
  };
}
