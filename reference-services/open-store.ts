import type { StartedInfrastructure } from '../harness/infra/acquire-infrastructure';
import { MemoryStore } from './kit/memory-store';
import { PGliteStore } from './kit/pglite-store';
import { PostgresStore } from './kit/postgres-store';
import type { Store } from './kit/store';

/**
 * Opens the store the infrastructure chose: PostgreSQL when a server is reachable, else embedded PGlite (same
 * SQL); `memory` forces the in-memory store. Migrated and ready.
 */
export async function openStore(
  namespace: string,
  infrastructure: Pick<StartedInfrastructure, 'databaseUrl'> | { readonly memory: true },
  options: { readonly poolSize?: number; readonly applicationName?: string } = {},
): Promise<Store> {
  if ('memory' in infrastructure) return new MemoryStore({ namespace });
  if (infrastructure.databaseUrl !== undefined) {
    return PostgresStore.open({ namespace, url: infrastructure.databaseUrl, ...options });
  }
  return PGliteStore.open({ namespace });
}
