import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Connection } from 'rabbitmq-client';
import { DEFAULT_AMQP_URL } from '../../../harness/transport/amqp/amqp-transport';
import { connectionName } from '../../../harness/transport/amqp/connection-name';
import { alive, until } from '../../support/wait-until';

const url = process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL;
const exchange = `it.interrupt.${randomBytes(4).toString('hex')}`;

describe('no service process outlives an interrupted run (Ctrl-C, SIGTERM)', () => {
  afterAll(async () => {
    const admin = new Connection({ url, connectionName: connectionName('it-interrupt-admin') });
    admin.on('error', () => undefined);
    await admin.exchangeDelete({ exchange }).catch(() => undefined);
    await admin.close();
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s to the runner kills every service process group',
    async (signal) => {
      // The services run in their own process group: a terminal's Ctrl-C reaches only the runner, whose exit must
      // take them down. The runner here has no signal handler of its own (Troupe's registry is the only one).
      const runner = spawn(
        process.execPath,
        ['--require', 'tsx/cjs', path.join(__dirname, 'support', 'start-and-wait.ts'), exchange],
        { stdio: ['ignore', 'pipe', 'inherit'], cwd: path.resolve(__dirname, '../../..') },
      );
      let output = '';
      runner.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        runner.once('exit', (_code, sig) => resolve(sig)),
      );
      await until(() => /pids \d+ \d+/.test(output), 30_000);
      const [, leader, child] = /pids (\d+) (\d+)/.exec(output)?.map(Number) ?? [];
      expect(alive(leader as number) && alive(child as number)).toBe(true);
      runner.kill(signal);
      expect(await exited).toBe(signal); // it still dies of the signal, as Node would without Troupe
      await until(() => !alive(leader as number) && !alive(child as number));
    },
  );
});
