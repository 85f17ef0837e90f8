import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AmqpTransport } from '../../../harness/transport/amqp/amqp-transport';
import { connectionName } from '../../../harness/transport/amqp/connection-name';
import { deleteTopology } from '../../../reference-services/kit/delete-topology';
import { PostgresStore } from '../../../reference-services/kit/postgres-store';
import { serviceNames } from '../../../reference-services/services';
import { startShop } from '../../../reference-services/shop';
import { customers, items, seed } from './shop-harness';

const main = path.join(__dirname, '../../../harness/cli/main.ts');

/** Starts `troupe service …` and resolves once it printed its banner. */
function startService(args: string[]): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), main, 'service', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // not ours to leave running
      reject(new Error(`service ${args[0]} did not start:\n${output}`));
    }, 40_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('troupe service ')) {
        clearTimeout(timer);
        resolve({ child, exited });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`service ${args[0]} exited ${code}:\n${output}`)));
  });
}

describe('troupe service <name>: one service per process, instances compete for the queue', () => {
  it('two processes (all + a second payments) run every order to the end and stop cleanly', async () => {
    const namespace = `cli_${randomBytes(4).toString('hex')}`;
    const store = await PostgresStore.open({ namespace, poolSize: 4 });
    const transport = new AmqpTransport({
      connectionName: connectionName('services-cli-it'),
      onError: () => undefined,
    });
    // The test process only places orders (and relays them): every consumer runs in the child processes.
    const front = await startShop({ transport, store, namespace, services: [] });
    // The seed goes in through the CLI: customers and stock as a JSON file.
    const seedFile = path.join(tmpdir(), `troupe-seed-${namespace}.json`);
    await writeFile(seedFile, JSON.stringify(seed));
    const starting = await Promise.allSettled([
      startService(['all', '--namespace', namespace, '--seed', seedFile]),
      startService(['payments', '--namespace', namespace, '--relays', '0']),
    ]);
    // Whichever started is stopped below, even when the other did not.
    const children = starting.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    try {
      const failed = starting.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
      const placed = [];
      for (let i = 0; i < 10; i++) {
        placed.push(await front.placeOrder({ customerId: customers.ada, items: items('BOOK-001', 1) }));
      }
      const finals = await Promise.all(placed.map((order) => front.waitForTerminal(order.orderId, 30_000)));
      expect(finals.every((order) => order.status === 'shipped')).toBe(true);
      expect((await front.state()).charges).toHaveLength(10);
    } finally {
      for (const { child } of children) child.kill('SIGTERM');
      const codes = await Promise.all(children.map(({ exited }) => exited));
      await front.stop();
      await transport.close();
      await deleteTopology(namespace, serviceNames);
      await store.dropSchema();
      await store.close();
      await rm(seedFile, { force: true });
      expect(codes).toEqual(children.map(() => 0));
    }
  }, 90_000);
});
