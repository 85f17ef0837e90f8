import { chooseInfrastructure } from '../../../harness/infra/infrastructure-choice';
import type { InfrastructureProbes } from '../../../harness/infra/infrastructure-choice';
import { InfraError } from '../../../harness/infra/infra-error';

/** Fake probes: which local ports answer, whether Docker answers, and a record of what was probed. */
function probes(opts: {
  env?: Record<string, string>;
  open?: number[];
  docker?: boolean;
}): InfrastructureProbes & { probed: string[] } {
  const probed: string[] = [];
  return {
    probed,
    env: opts.env ?? {},
    tcpReachable: (host, port) => {
      probed.push(`${host}:${port}`);
      return Promise.resolve((opts.open ?? []).includes(port));
    },
    dockerAvailable: () => {
      probed.push('docker');
      return Promise.resolve(opts.docker ?? false);
    },
  };
}

describe('chooseInfrastructure', () => {
  it('uses AMQP_URL and DATABASE_URL as given, without probing anything', async () => {
    const p = probes({
      env: { AMQP_URL: 'amqp://u:p@broker:5672/vh', DATABASE_URL: 'postgresql://u:p@db:5432/x' },
      open: [],
    });
    await expect(chooseInfrastructure(p)).resolves.toEqual({
      broker: { kind: 'rabbitmq', source: 'env', url: 'amqp://u:p@broker:5672/vh' },
      database: { kind: 'postgres', source: 'env', url: 'postgresql://u:p@db:5432/x' },
    });
    expect(p.probed).toEqual([]);
  });

  it('chooses the local servers when their ports answer, and does not ask Docker', async () => {
    const p = probes({ open: [5672, 5432], docker: true });
    const choice = await chooseInfrastructure(p);
    expect(choice.broker).toEqual({
      kind: 'rabbitmq',
      source: 'local',
      url: 'amqp://guest:guest@127.0.0.1:5672',
    });
    expect(choice.database).toEqual({
      kind: 'postgres',
      source: 'local',
      url: 'postgres://postgres@127.0.0.1:5432/test',
    });
    expect(p.probed.sort()).toEqual(['127.0.0.1:5432', '127.0.0.1:5672']);
  });

  it('chooses Testcontainers for both when nothing is local and Docker answers', async () => {
    const choice = await chooseInfrastructure(probes({ open: [], docker: true }));
    expect(choice).toEqual({
      broker: { kind: 'rabbitmq', source: 'testcontainers' },
      database: { kind: 'postgres', source: 'testcontainers' },
    });
  });

  it('falls back to the in-memory transport and embedded PGlite without servers or Docker', async () => {
    const choice = await chooseInfrastructure(probes({ open: [], docker: false }));
    expect(choice.broker).toMatchObject({ kind: 'memory' });
    expect(choice.database).toMatchObject({ kind: 'pglite' });
    expect(choice.broker.kind === 'memory' && choice.broker.reason).toMatch(/127\.0\.0\.1:5672.*no Docker/);
  });

  it('decides broker and database independently (mixed sources)', async () => {
    await expect(
      chooseInfrastructure(probes({ env: { DATABASE_URL: 'postgres://db/x' }, open: [], docker: true })),
    ).resolves.toEqual({
      broker: { kind: 'rabbitmq', source: 'testcontainers' },
      database: { kind: 'postgres', source: 'env', url: 'postgres://db/x' },
    });
    const localBrokerOnly = await chooseInfrastructure(probes({ open: [5672], docker: false }));
    expect(localBrokerOnly.broker).toMatchObject({ kind: 'rabbitmq', source: 'local' });
    expect(localBrokerOnly.database).toMatchObject({ kind: 'pglite' });
  });

  it('treats an empty URL variable as unset', async () => {
    const choice = await chooseInfrastructure(probes({ env: { AMQP_URL: ' ' }, open: [5672, 5432] }));
    expect(choice.broker).toMatchObject({ source: 'local' });
  });

  it.each([
    ['AMQP_URL', 'not a url', /AMQP_URL is not a URL/],
    ['AMQP_URL', 'http://127.0.0.1:5672', /AMQP_URL has scheme http:/],
    ['DATABASE_URL', 'mysql://db/x', /DATABASE_URL has scheme mysql:/],
  ])('rejects %s=%j with code invalid-url naming the variable', async (name, value, message) => {
    const error = await chooseInfrastructure(probes({ env: { [name]: value } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfraError);
    expect(error).toMatchObject({ code: 'invalid-url', message: expect.stringMatching(message) as unknown });
  });
});
