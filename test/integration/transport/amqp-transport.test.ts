import { randomBytes } from 'node:crypto';
import { Connection } from 'rabbitmq-client';
import { AmqpTransport, DEFAULT_AMQP_URL } from '../../../harness/transport/amqp/amqp-transport';
import type { AmqpTransportError } from '../../../harness/transport/amqp/amqp-transport-error';
import type { DeliveryOutcome } from '../../../harness/transport/transport';
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
  const base = `${prefix}.specific`;
  const exchange = `${base}.events`;
  const dlx = `${base}.dlx`;
  const work = `${base}.work`;
  const transports: AmqpTransport[] = [];
  const open = async (): Promise<AmqpTransport> => {
    const transport = new AmqpTransport({
      url,
      connectionName: connectionName('it-transport'),
      onError: (error) => reported.push(error),
    });
    transports.push(transport);
    await transport.connected();
    await transport.declare({
      exchanges: [{ name: exchange, type: 'topic' }],
      // The DLQ is not listed: the adapter declares `${work}.dlq` on its own.
      queues: [{ name: work, exchange, bindings: ['#'], deadLetterExchange: dlx }],
    });
    return transport;
  };
  /** Resolves with the first delivery on `queue` (acked), or rejects at the deadline. */
  const first = (t: AmqpTransport, queue: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nothing arrived on ${queue}`)), 5000);
      void t.consume(queue, (d) => {
        clearTimeout(timer);
        resolve(new TextDecoder().decode(d.body));
        return Promise.resolve('ack');
      });
    });

  afterAll(async () => {
    await Promise.all(transports.map((t) => t.close()));
    for (const queue of [work, `${work}.dlq`]) await admin.queueDelete({ queue });
    for (const name of [exchange, dlx]) await admin.exchangeDelete({ exchange: name });
  });

  it('reports a throwing handler as handler-failed with the cause, and requeues its delivery', async () => {
    const t = await open();
    const before = reported.length;
    let calls = 0;
    const redelivered = new Promise<boolean>((resolve) => {
      void t.consume(work, (d) => {
        calls += 1;
        if (calls === 1) return Promise.reject(new Error('handler bug (expected by the test)'));
        resolve(d.redelivered);
        return Promise.resolve('ack');
      });
    });
    await t.publish(exchange, { routingKey: 'x', body: new TextEncoder().encode('throws') });
    await expect(redelivered).resolves.toBe(true);
    const failed = reported.slice(before).filter((e) => e.code === 'handler-failed');
    expect(failed.map((e) => (e.cause as Error).message)).toEqual(['handler bug (expected by the test)']);
    await t.close();
  });

  it('declares the DLQ of a queue with a dead-letter exchange even when the topology omits it', async () => {
    const t = await open();
    const dead = first(t, `${work}.dlq`);
    await t.consume(work, () => Promise.resolve('reject'));
    await t.publish(exchange, { routingKey: 'x', body: new TextEncoder().encode('to-dlq') });
    await expect(dead).resolves.toBe('to-dlq');
    await t.close();
  });

  it('requeues (never silently acks) when a handler returns something that is not an outcome', async () => {
    const t = await open();
    let calls = 0;
    const second = new Promise<boolean>((resolve) => {
      void t.consume(work, (d) => {
        calls += 1;
        if (calls === 2) resolve(d.redelivered);
        return Promise.resolve((calls === 1 ? 'acknowledge' : 'ack') as DeliveryOutcome);
      });
    });
    const before = reported.length;
    await t.publish(exchange, { routingKey: 'x', body: new TextEncoder().encode('typo') });
    await expect(second).resolves.toBe(true);
    expect(reported.slice(before).map((e) => e.message)).toEqual([
      expect.stringContaining(`returned "acknowledge", not 'ack' | 'requeue' | 'reject'`),
    ]);
    await t.close();
  });

  it('refuses a declaration that conflicts with the broker (declare-failed) and stays usable', async () => {
    const t = await open();
    const error = await t
      .declare({ exchanges: [], queues: [{ name: work, exchange, bindings: ['#'], kind: 'classic' }] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'declare-failed' });
    expect((error as Error).message).toMatch(/PRECONDITION_FAILED|inequivalent arg/);
    await t.publish(exchange, { routingKey: 'x', body: new TextEncoder().encode('still-works') });
    await expect(first(t, work)).resolves.toBe('still-works');
    await t.close();
  });

  it('close() while consume() is starting ends both: the consumer is closed, not left holding the connection', async () => {
    const t = await open();
    const consuming = t
      .consume(work, () => Promise.resolve('ack'))
      .then(
        () => 'consuming',
        (error: unknown) => error,
      );
    await t.close(); // hung forever when the consumer became ready after close() had listed its consumers
    expect(await consuming).toMatchObject({ code: 'closed' });
    expect(t.state).toBe('closed');
  }, 15_000);

  it('leaves a message published after close() queued for the next consumer (the old handler is gone)', async () => {
    const t = await open();
    const seenByOld: string[] = [];
    await t.consume(work, (d) => {
      seenByOld.push(new TextDecoder().decode(d.body));
      return Promise.resolve('ack');
    });
    await t.close();
    const other = await open();
    await other.publish(exchange, { routingKey: 'x', body: new TextEncoder().encode('later') });
    await expect(first(other, work)).resolves.toBe('later');
    expect(seenByOld).toEqual([]);
  });
});
