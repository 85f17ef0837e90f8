// Starts a manifest target whose service ignores SIGTERM and has a child of its own, prints the pids, then waits
// forever: the test interrupts this process and checks that no service process survives it.
import path from 'node:path';
import { validateConfig } from '../../../../harness/config/load-config';
import { seededRandom } from '../../../../harness/fuzz/_internals/seeded-random';
import { targetFromConfig } from '../../../../harness/target/config-target';

async function main(): Promise<void> {
  const fixtures = path.join(__dirname, '..', 'fixtures');
  const file = path.join(fixtures, 'troupe.config.json');
  const raw = {
    broker: { exchanges: [{ name: process.argv[2] ?? 'it.interrupt', type: 'fanout' }] },
    services: { stubborn: { command: process.execPath, args: ['stubborn.js'], ready: { log: 'pids' } } },
  };
  const target = targetFromConfig({ file, dir: fixtures, config: validateConfig(raw, file) });
  const started = await target.start({ namespace: 'it-interrupt', random: seededRandom(1) });
  console.log(started.service('stubborn').tail(1)[0]);
  setInterval(() => undefined, 1_000);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
