import { MemoryStore } from '../../../reference-services/kit/memory-store';
import { storeBehaviour } from './store-behaviour';

// PostgreSQL runs this suite in test/integration/services/postgres-store.test.ts. PGlite does not: its Emscripten
// loader needs dynamic import(), which Jest's CommonJS VM only allows with --experimental-vm-modules, so
// test/integration/services/pglite-check.ts exercises it (inbox, outbox, relay, startShop) in a child process.
storeBehaviour(
  'MemoryStore',
  () => Promise.resolve(new MemoryStore()),
  (store) => store.close(),
  { externalSurvivesRollback: true },
);
