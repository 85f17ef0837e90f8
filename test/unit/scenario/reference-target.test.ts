import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { acquireTarget } from '../../../harness/cli/reference-target';
import {
  describeInfrastructure,
  type AcquiredBroker,
  type AcquiredDatabase,
  type StartedInfrastructure,
} from '../../../harness/infra/acquire-infrastructure';

function fakeInfrastructure(broker: AcquiredBroker, database: AcquiredDatabase): StartedInfrastructure {
  const stop = () => Promise.resolve();
  return {
    choice: {
      broker: broker.kind === 'memory' ? broker : { kind: 'rabbitmq', source: 'local', url: broker.url },
      database:
        database.kind === 'pglite' ? database : { kind: 'postgres', source: 'local', url: database.url },
    },
    broker,
    database,
    amqpUrl: broker.kind === 'rabbitmq' ? broker.url : undefined,
    databaseUrl: database.kind === 'postgres' ? database.url : undefined,
    describe: () => describeInfrastructure(broker, database),
    createTransport: () => {
      throw new Error('not used');
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

describe('acquireTarget (what and where troupe run / troupe scenarios run)', () => {
  let empty: string;
  beforeAll(async () => {
    empty = await mkdtemp(path.join(tmpdir(), 'troupe-no-manifest-'));
  });
  afterAll(() => rm(empty, { recursive: true, force: true }));

  it('falls back to the in-memory transport when no broker is reachable and says so in the first line', async () => {
    await using target = await acquireTarget({
      sim: false,
      cwd: empty,
      acquire: () =>
        Promise.resolve(
          fakeInfrastructure(
            { kind: 'memory', reason: 'no AMQP_URL, no local broker, no Docker' },
            { kind: 'pglite', reason: 'no DATABASE_URL, no local PostgreSQL, no Docker' },
          ),
        ),
    });
    expect(target.mode).toBe('sim');
    expect(target.kind).toBe('reference');
    expect(target.firstLine).toBe(
      'troupe: running on the deterministic IN-MEMORY transport and store (no AMQP_URL, no local broker, no Docker), ' +
        `not on a real broker; target: the reference shop (no troupe.config.* in ${empty}; pass --config FILE for yours)`,
    );
  });

  it('uses the acquired broker and database when there are', async () => {
    await using target = await acquireTarget({
      sim: false,
      cwd: empty,
      reachable: () => Promise.resolve(true),
      acquire: () =>
        Promise.resolve(
          fakeInfrastructure(
            { kind: 'rabbitmq', source: 'env', url: 'amqp://user:secret@broker:5672' },
            { kind: 'postgres', source: 'env', url: 'postgres://user:secret@db:5432/shop' },
          ),
        ),
    });
    expect(target.mode).toBe('broker');
    const line = target.firstLine;
    expect(line).toMatch(
      /^troupe: broker: RabbitMQ at amqp:\/\/user:\*+@broker:5672 \(from environment\); database: PostgreSQL/,
    );
    expect(line).not.toContain('secret');
  });

  it('refuses an unreachable configured broker at once (exit 2), credentials masked', async () => {
    const error = await acquireTarget({
      sim: false,
      cwd: empty,
      reachable: () => Promise.resolve(false),
      acquire: () =>
        Promise.resolve(
          fakeInfrastructure(
            { kind: 'rabbitmq', source: 'env', url: 'amqp://user:secret@nowhere:5999' },
            { kind: 'pglite', reason: 'none' },
          ),
        ),
    }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ exitCode: 2 });
    expect((error as Error).message).toMatch(/the broker at amqp:\/\/user:\*+@nowhere:5999 is not reachable/);
    expect((error as Error).message).not.toContain('secret');
  });

  it('--sim never probes the infrastructure', async () => {
    const acquire = jest.fn(() => Promise.reject(new Error('must not be called')));
    await using target = await acquireTarget({ sim: true, cwd: empty, acquire });
    expect(target.mode).toBe('sim');
    expect(acquire).not.toHaveBeenCalled();
    expect(target.firstLine).toContain('IN-MEMORY transport and store (--sim)');
  });

  it('takes troupe.config.* in the working directory: the manifest target, its exchanges, the proxy for faults', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'troupe-manifest-'));
    try {
      await writeFile(
        path.join(dir, 'troupe.config.yaml'),
        [
          'name: tiny',
          'broker:',
          '  url: amqp://user:secret@broker.example:5672',
          '  exchanges: [{ name: tiny.events, type: fanout }]',
          'services:',
          '  worker: { command: node, args: [worker.js], ready: { log: ready, timeout: 5s } }',
          "adapter: { json: { type: event, key: 'data.id' } }",
          'flows:',
          "  job: { start: { publish: { exchange: tiny.events, body: { event: JobRequested, data: { id: '{{flow.key}}' } } } }, key: data.id, terminal: [JobDone] }",
          '',
        ].join('\n'),
      );
      const acquire = jest.fn(() => Promise.reject(new Error('a manifest brings its own broker')));
      await using target = await acquireTarget({ sim: false, cwd: dir, acquire });
      expect(acquire).not.toHaveBeenCalled();
      expect(target.kind).toBe('manifest');
      expect(target.target.serviceNames).toEqual(['worker']);
      expect(target.vocabulary.exchanges).toEqual(['tiny.events']);
      expect(target.chaos).toBeDefined();
      expect(target.dir).toBe(dir);
      expect(target.firstLine).toMatch(
        /^troupe: target: tiny .*1 service\(s\) \(worker\), 1 exchange\(s\); broker: amqp:\/\/user:\*+@broker.example:5672$/,
      );
      await expect(acquireTarget({ sim: true, cwd: dir })).rejects.toMatchObject({ exitCode: 2 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a bad manifest ends the command with exit code 2 before anything starts', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'troupe-bad-manifest-'));
    try {
      await writeFile(
        path.join(dir, 'troupe.config.json'),
        JSON.stringify({ broker: { exchanges: [{ name: 'x', type: 'sideways' }] } }),
      );
      const error = await acquireTarget({ sim: false, cwd: dir }).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ exitCode: 2 });
      expect((error as Error).message).toContain('troupe.config.json');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
