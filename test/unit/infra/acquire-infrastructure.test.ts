import { acquireInfrastructure, describeInfrastructure } from '../../../harness/infra/acquire-infrastructure';
import type { ContainerStarters, StartedServer } from '../../../harness/infra/acquire-infrastructure';
import type { InfrastructureProbes } from '../../../harness/infra/infrastructure-choice';
import { InfraError } from '../../../harness/infra/infra-error';
import { maskUrl } from '../../../harness/infra/mask-url';
import { InMemoryTransport } from '../../../harness/transport/memory/in-memory-transport';

const nothingLocal = (docker: boolean, env: Record<string, string> = {}): InfrastructureProbes => ({
  env,
  tcpReachable: () => Promise.resolve(false),
  dockerAvailable: () => Promise.resolve(docker),
});

/** Container starters that record starts and stops instead of talking to Docker. */
function fakeContainers(fail?: 'rabbitmq' | 'postgres'): ContainerStarters & { log: string[] } {
  const log: string[] = [];
  const server = (name: string, url: string): Promise<StartedServer> => {
    if (fail === name) return Promise.reject(new Error(`${name} image pull failed`));
    log.push(`start ${name}`);
    return Promise.resolve({
      url,
      stop: () => {
        log.push(`stop ${name}`);
        return Promise.resolve();
      },
    });
  };
  return {
    log,
    rabbitmq: () => server('rabbitmq', 'amqp://guest:secret@localhost:32771'),
    postgres: () => server('postgres', 'postgres://test:secret@localhost:32772/test'),
  };
}

describe('acquireInfrastructure', () => {
  it('starts Testcontainers when Docker answers (container start injected: no Docker on this machine)', async () => {
    const containers = fakeContainers();
    {
      await using infra = await acquireInfrastructure({ probes: nothingLocal(true), containers });
      expect(infra.amqpUrl).toBe('amqp://guest:secret@localhost:32771');
      expect(infra.databaseUrl).toBe('postgres://test:secret@localhost:32772/test');
      expect(infra.describe()).toBe(
        'broker: RabbitMQ at amqp://guest:***@localhost:32771 (Testcontainers); ' +
          'database: PostgreSQL at postgres://test:***@localhost:32772/test (Testcontainers)',
      );
      expect(containers.log).toEqual(['start rabbitmq', 'start postgres']);
    }
    expect(containers.log).toEqual(['start rabbitmq', 'start postgres', 'stop postgres', 'stop rabbitmq']);
  });

  it('stops the started broker container when the database container fails, and reports the start error', async () => {
    const containers = fakeContainers('postgres');
    const error = await acquireInfrastructure({ probes: nothingLocal(true), containers }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InfraError);
    expect((error as InfraError).code).toBe('container-start-failed');
    expect((error as InfraError).message).toMatch(/PostgreSQL/);
    expect(((error as InfraError).cause as Error).message).toBe('postgres image pull failed');
    expect(containers.log).toEqual(['start rabbitmq', 'stop rabbitmq']);
  });

  it('falls back to memory + PGlite, starts nothing, and builds an InMemoryTransport', async () => {
    const containers = fakeContainers();
    const infra = await acquireInfrastructure({ probes: nothingLocal(false), containers });
    expect(infra.amqpUrl).toBeUndefined();
    expect(infra.databaseUrl).toBeUndefined();
    expect(infra.describe()).toMatch(
      /^broker: in-memory transport \(.*\); database: embedded PGlite \(.*\)$/,
    );
    const transport = infra.createTransport();
    expect(transport).toBeInstanceOf(InMemoryTransport);
    await transport.close();
    await infra.stop();
    expect(containers.log).toEqual([]);
  });

  it('uses configured URLs as given and masks their passwords in describe()', async () => {
    const infra = await acquireInfrastructure({
      probes: nothingLocal(false, {
        AMQP_URL: 'amqps://app:hunter2@mq.example:5671/prod',
        DATABASE_URL: 'postgres://db/x',
      }),
      containers: fakeContainers(),
    });
    expect(infra.amqpUrl).toBe('amqps://app:hunter2@mq.example:5671/prod');
    expect(infra.describe()).toBe(
      'broker: RabbitMQ at amqps://app:***@mq.example:5671/prod (from environment); ' +
        'database: PostgreSQL at postgres://db/x (from environment)',
    );
    expect(infra.describe()).not.toContain('hunter2');
  });
});

describe('maskUrl / describeInfrastructure', () => {
  it('hides passwords and unparseable URLs entirely', () => {
    expect(maskUrl('amqp://guest:guest@127.0.0.1:5672')).toBe('amqp://guest:***@127.0.0.1:5672');
    expect(maskUrl('postgres://postgres@127.0.0.1:5432/test')).toBe(
      'postgres://postgres@127.0.0.1:5432/test',
    );
    expect(maskUrl('::not a url with password')).toBe('<unparseable url>');
  });

  it('names the source of each server', () => {
    expect(
      describeInfrastructure(
        { kind: 'rabbitmq', source: 'local', url: 'amqp://guest:guest@127.0.0.1:5672' },
        { kind: 'postgres', source: 'local', url: 'postgres://postgres@127.0.0.1:5432/test' },
      ),
    ).toBe(
      'broker: RabbitMQ at amqp://guest:***@127.0.0.1:5672 (local default); ' +
        'database: PostgreSQL at postgres://postgres@127.0.0.1:5432/test (local default)',
    );
  });
});
