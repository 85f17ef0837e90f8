import { MemoryStore } from '../../../reference-services/kit/memory-store';
import { storeBehaviour } from './store-behaviour';

// PGliteStore runs the same suite through a child process (test/integration/services/pglite-store.test.ts):
// PGlite's Emscripten loader needs dynamic import(), which Jest's CommonJS VM only allows with
// --experimental-vm-modules.
storeBehaviour(
  'MemoryStore',
  () => Promise.resolve(new MemoryStore()),
  (store) => store.close(),
  { externalSurvivesRollback: true },
);
