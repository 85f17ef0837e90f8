import { randomBytes } from 'node:crypto';
import { PostgresStore } from '../../../reference-services/kit/postgres-store';
import { storeBehaviour } from '../../unit/services/store-behaviour';

const suffix = randomBytes(4).toString('hex');
let n = 0;

storeBehaviour(
  'PostgresStore (real PostgreSQL)',
  () => PostgresStore.open({ namespace: `store_it_${suffix}_${n++}`, poolSize: 4 }),
  async (store) => {
    await (store as PostgresStore).dropSchema();
    await store.close();
  },
  { externalSurvivesRollback: true },
);
