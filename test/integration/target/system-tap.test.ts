import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { jsonPathsAdapter } from '../../../harness/events/json-paths-adapter';
import { countPublications } from '../../../harness/observe/publications';
import { startSystemTap } from '../../../harness/observe/system-tap';
import { AmqpTransport, DEFAULT_AMQP_URL } from '../../../harness/transport/amqp/amqp-transport';
import { connectionName } from '../../../harness/transport/amqp/connection-name';
import { checkExchanges } from '../../../harness/transport/amqp/exchange-check';

const url = process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL;
const id = randomBytes(4).toString('hex');
const adapter = jsonPathsAdapter({ type: 'event', key: 'k' });
const body = (event: string, k: string): Buffer => Buffer.from(JSON.stringify({ event, k }));

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('system tap: every exchange type, and sendToQueue through the firehose (real RabbitMQ)', () => {
  const names = {
    headers: `it.tap.${id}.headers`,
    direct: `it.tap.${id}.direct`,
    topic: `it.tap.${id}.topic`,
  };
  const queue = `it.tap.${id}.inbox`;
  let connection: amqp.ChannelModel;
  let channel: amqp.ConfirmChannel;
  let transport: AmqpTransport;

  beforeAll(async () => {
    // The system under test declares its own topology, with its own flags (not durable).
    connection = await amqp.connect(url);
    channel = await connection.createConfirmChannel();
    await channel.assertExchange(names.headers, 'headers', { durable: false });
    await channel.assertExchange(names.direct, 'direct', { durable: false });
    await channel.assertExchange(names.topic, 'topic', { durable: false });
    await channel.assertQueue(queue, { durable: false });
    transport = new AmqpTransport({
      url,
      connectionName: connectionName('it-system-tap'),
      onError: () => undefined,
    });
    await transport.connected();
  });
  afterAll(async () => {
    for (const exchange of Object.values(names)) await channel.deleteExchange(exchange);
    await channel.deleteQueue(queue);
    await connection.close();
    await transport.close();
  });

  it('checks existing exchanges passively (their flags untouched) and reads their types from the broker', async () => {
    const checked = await checkExchanges(url, [
      { name: names.headers, type: 'headers' },
      { name: names.direct, type: 'direct' },
    ]);
    expect(checked).toEqual([
      { name: names.headers, type: 'headers', existed: true, typeVerified: true },
      { name: names.direct, type: 'direct', existed: true, typeVerified: true },
    ]);
    await expect(checkExchanges(url, [{ name: names.topic, type: 'fanout' }])).rejects.toMatchObject({
      code: 'exchange-mismatch',
    });
  });

  it('records headers (any headers), direct (per known key), topic, and default-exchange sends to the system queue', async () => {
    const tap = await startSystemTap({
      transport,
      adapter,
      exchanges: [
        { name: names.headers, type: 'headers' },
        { name: names.direct, type: 'direct', routingKeys: ['paid', 'shipped'] },
        { name: names.topic, type: 'topic' },
      ],
      directQueues: [queue],
    });
    try {
      expect(tap.viaFirehose).toEqual(['']);
      channel.publish(names.headers, '', body('H1', 'a'), { headers: { region: 'eu' } });
      channel.publish(names.headers, '', body('H2', 'a'));
      channel.publish(names.direct, 'paid', body('D1', 'a'));
      channel.publish(names.direct, 'shipped', body('D2', 'a'));
      channel.publish(names.topic, 'x.y.z', body('T1', 'a'));
      channel.sendToQueue(queue, body('Q1', 'a'));
      channel.sendToQueue(`${queue}.other`, body('NOT-OURS', 'a')); // someone else's queue: ignored
      channel.sendToQueue(queue, body('Q1', 'a')); // the same id-less message twice: two publications
      await channel.waitForConfirms();
      await until(() => tap.log.size >= 7);
      const types = countPublications(tap.log.all()).events.map((e) => e.eventType);
      expect(types.sort()).toEqual(['D1', 'D2', 'H1', 'H2', 'Q1', 'Q1', 'T1']);
    } finally {
      await tap.stop();
    }
  });

  it('a direct exchange without known keys is observed through the firehose', async () => {
    const tap = await startSystemTap({
      transport,
      adapter,
      exchanges: [{ name: names.direct, type: 'direct' }],
    });
    try {
      expect(tap.viaFirehose).toEqual([names.direct]);
      channel.publish(names.direct, 'anything', body('D3', 'b'));
      await channel.waitForConfirms();
      await until(() => tap.log.size >= 1);
      expect(tap.log.all()[0]?.identity?.eventType).toBe('D3');
    } finally {
      await tap.stop();
    }
  });
});
