import { Client } from 'pg';
import { acquireInfrastructure } from '../../../harness/infra/acquire-infrastructure';
import { chooseInfrastructure } from '../../../harness/infra/infrastructure-choice';
import { defaultProbes } from '../../../harness/infra/probes';
import { AmqpTransport } from '../../../harness/transport/amqp/amqp-transport';
import { connectionName } from '../../../harness/transport/amqp/connection-name';

describe('infrastructure on this machine', () => {
  it('chooses the local RabbitMQ and PostgreSQL when no URL is configured (real probes)', async () => {
    const choice = await chooseInfrastructure(defaultProbes({}));
    expect(choice).toEqual({
      broker: { kind: 'rabbitmq', source: 'local', url: 'amqp://guest:guest@127.0.0.1:5672' },
      database: { kind: 'postgres', source: 'local', url: 'postgres://postgres@127.0.0.1:5432/test' },
    });
  });

  it('acquires servers that accept an AMQP connection and a SQL query', async () => {
    await using infra = await acquireInfrastructure();
    expect(infra.describe()).toMatch(/^broker: RabbitMQ at amqp:\/\/.*; database: PostgreSQL at postgres/);
    expect(infra.describe()).not.toMatch(/:guest@/);
    const transport = infra.createTransport({ connectionName: connectionName('it-infra') });
    try {
      expect(transport).toBeInstanceOf(AmqpTransport);
      await (transport as AmqpTransport).connected();
    } finally {
      await transport.close();
    }
    const client = new Client({ connectionString: infra.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
  });
});
