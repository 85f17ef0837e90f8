import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as amqplib from 'amqplib';
import { startChaosProxy, startControlApi } from '../../../harness/chaos/index';
import { AMQP_URL, Broker, until } from './chaos-support';

const post = async (url: string, body: unknown): Promise<{ status: number; body: unknown }> => {
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
};

describe('chaos proxy standalone', () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await Broker.open();
  });
  afterAll(async () => {
    await broker.cleanup();
  });

  it('control API: apply a fault, list connections and what each consumes, show the fault log', async () => {
    await using proxy = await startChaosProxy({ upstream: AMQP_URL, listeners: [{ service: 'shipping' }] });
    const control = await startControlApi(proxy);
    const queue = await broker.queue('control');
    const connection = await amqplib.connect(proxy.urlFor('shipping'));
    try {
      const channel = await connection.createChannel();
      const got: string[] = [];
      await channel.consume(queue, (m) => m !== null && (got.push(m.content.toString()), channel.ack(m)));
      expect(await post(`${control.url}/faults`, { kind: 'duplicate', service: 'shipping', nth: 0 })).toEqual(
        {
          status: 202,
          body: { applied: 'duplicate delivery #0 to shipping ×1' },
        },
      );
      expect((await post(`${control.url}/faults`, { kind: 'delay', service: 'shipping' })).status).toBe(400);
      const connections = (await (await fetch(`${control.url}/connections`)).json()) as {
        consumers: { queue: string }[];
      }[];
      expect(connections[0]?.consumers.map((c) => c.queue)).toEqual([queue]);
      await broker.publish(queue, ['m0']);
      await until('the copy', () => got.length === 2);
      const log = await (await fetch(`${control.url}/faults?format=text`)).text();
      expect(log).toMatch(
        /shipping \(conn 1\)\s+duplicate\s+delivery of key it\.chaos\.control\.\w+: 1 copy/,
      );
    } finally {
      await connection.close();
      await control.stop();
    }
  });

  it('`troupe proxy` runs a replayed plan in front of a service and prints the fault log when stopped', async () => {
    const queue = await broker.queue('cli');
    const plan = { seed: 3, faults: [{ kind: 'delay', service: 'billing', nth: 0, ms: 50 }] };
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'harness/cli/main.ts',
        'proxy',
        '--upstream',
        AMQP_URL,
        '--listen',
        'billing=0',
        '--replay',
        JSON.stringify(plan),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await until(
        'the replay line',
        () => /\nreplay: .*\n/.test(out),
        () => out,
        20_000,
      );
      const port = /billing\s+amqp:\/\/\S+:(\d+)/.exec(out)?.[1];
      expect(out).toContain('- delay delivery #0 to billing by 50 ms');
      expect(out).toContain(`--replay '${JSON.stringify(plan)}'`);
      const url = new URL(AMQP_URL);
      url.port = String(port);
      const connection = await amqplib.connect(url.toString());
      const channel = await connection.createChannel();
      const got: string[] = [];
      await channel.consume(queue, (m) => m !== null && (got.push(m.content.toString()), channel.ack(m)));
      await broker.publish(queue, ['m0', 'm1']);
      await until('both messages', () => got.length === 2);
      expect(got).toEqual(['m1', 'm0']);
      await connection.close();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(out).toMatch(
      /fault log \(1 entry\):\n\s+\+\d+ ms\s+billing \(conn 1\)\s+delay\s+delivery of key it\.chaos\.cli\.\w+: held 50 ms/,
    );
  });

  it('`troupe proxy --plan` with a bad fault exits 2 naming the file, the fault and the field', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'troupe-chaos-'));
    try {
      const file = path.join(dir, 'chaos.yaml');
      writeFileSync(file, 'faults:\n  - { kind: pause, service: billing, ms: soon }\n');
      const result = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          'harness/cli/main.ts',
          'proxy',
          '--upstream',
          AMQP_URL,
          '--listen',
          'billing=0',
          '--plan',
          file,
        ],
        { encoding: 'utf8', timeout: 30_000 },
      );
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(
        `${file}: faults.0.ms: Invalid input: expected number, received string`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
