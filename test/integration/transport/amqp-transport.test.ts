import { randomBytes } from 'node:crypto';
import { Connection } from 'rabbitmq-client';
import { AmqpTransport, DEFAULT_AMQP_URL } from '../../../harness/transport/amqp/amqp-transport';
import type { AmqpTransportError } from '../../../harness/transport/amqp/amqp-transport-error';
import { connectionName } from '../../../harness/transport/amqp/connection-name';
import { listConnections } from '../../../harness/transport/amqp/rabbitmqctl';
import { transportBehaviour } from '../../support/transport-behaviour';

const url = process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL;
const prefix = `it.amqp.${randomBytes(4).toString('hex')}`;
const reported: AmqpTransportError[] = [];
let admin: Connection;

beforeAll(() => {
  admin = new Connection({ url, connectionName: connectionName('it-admin') });
  admin.on('error', () => undefined);
});
afterAll(async () => {
  await admin.close();
});

transportBehaviour({
  name: 'AmqpTransport on RabbitMQ',
  prefix,
  async create() {
    const transport = new AmqpTransport({
      url,
      connectionName: connectionName('it-transport'),
      onError: (error) => reported.push(error),
    });
    await transport.connected();
    return transport;
  },
  async cleanup({ exchanges, queues }) {
    for (const queue of queues) await admin.queueDelete({ queue });
    for (const exchange of exchanges) await admin.exchangeDelete({ exchange });
  },
  async assertNothingRunning(transport) {
    if (!(transport instanceof AmqpTransport)) throw new Error('expected an AmqpTransport');
    expect(transport.state).toBe('closed');
    const names = (await listConnections()).map((c) => c.name);
    expect(names).not.toContain(transport.connectionName);
  },
});

describe('AmqpTransport specifics', () => {
  it('reports a throwing handler as handler-failed with the cause', () => {
    // Filled by the behaviour suite's "handler that throws" test above (same file, runs first).
    const failed = reported.filter((e) => e.code === 'handler-failed');
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect((failed[0]?.cause as Error).message).toBe('handler bug (expected by the test)');
  });
});
