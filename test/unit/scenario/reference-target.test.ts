import { acquireTarget, describeTargetLine } from '../../../harness/cli/reference-target';
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

describe('acquireTarget (where troupe run / troupe scenarios run)', () => {
  it('falls back to the in-memory transport when no broker is reachable and says so in the first line', async () => {
    await using target = await acquireTarget({
      sim: false,
      acquire: () =>
        Promise.resolve(
          fakeInfrastructure(
            { kind: 'memory', reason: 'no AMQP_URL, no local broker, no Docker' },
            { kind: 'pglite', reason: 'no DATABASE_URL, no local PostgreSQL, no Docker' },
          ),
        ),
    });
    expect(target.mode).toBe('sim');
    expect(describeTargetLine(target)).toBe(
      'troupe: running on the deterministic IN-MEMORY transport and store (no AMQP_URL, no local broker, no Docker), not on a real broker',
    );
  });

  it('uses the acquired broker and database when there are', async () => {
    await using target = await acquireTarget({
      sim: false,
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
    const line = describeTargetLine(target);
    expect(line).toMatch(
      /^troupe: broker: RabbitMQ at amqp:\/\/user:\*+@broker:5672 \(from environment\); database: PostgreSQL/,
    );
    expect(line).not.toContain('secret');
  });

  it('refuses an unreachable configured broker at once (exit 2), credentials masked', async () => {
    const error = await acquireTarget({
      sim: false,
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
    await using target = await acquireTarget({ sim: true, acquire });
    expect(target.mode).toBe('sim');
    expect(acquire).not.toHaveBeenCalled();
    expect(describeTargetLine(target)).toContain('IN-MEMORY transport and store (--sim)');
  });
});
