import * as amqplib from 'amqplib';
import { Connection } from 'rabbitmq-client';
import { troupeEnvelopeAdapter } from '../../../harness/events/envelope-adapter';
import { startChaosProxy, type StartedChaosProxy } from '../../../harness/chaos/index';
import { AMQP_URL, Broker, until } from './chaos-support';

interface Received {
  readonly body: string;
  readonly tag: number;
  readonly redelivered: boolean;
  readonly at: number;
  readonly message: amqplib.ConsumeMessage;
}

/** An amqplib consumer through the proxy that records every delivery and every channel error. */
async function amqplibConsumer(url: string, queue: string, options: { prefetch: number; ack: boolean }) {
  const connection = await amqplib.connect(url);
  const channel = await connection.createChannel();
  const received: Received[] = [];
  const errors: string[] = [];
  channel.on('error', (error: Error) => errors.push(error.message));
  connection.on('error', (error: Error) => errors.push(error.message));
  await channel.prefetch(options.prefetch);
  const { consumerTag } = await channel.consume(queue, (message) => {
    if (message === null) return;
    received.push({
      body: message.content.toString(),
      tag: message.fields.deliveryTag,
      redelivered: message.fields.redelivered,
      at: Date.now(),
      message,
    });
    if (options.ack) channel.ack(message);
  });
  return { connection, channel, received, errors, consumerTag };
}

const bodies = (n: number): string[] => Array.from({ length: n }, (_, i) => `m${i}`);

describe('chaos proxy: faults on deliveries, real RabbitMQ', () => {
  let broker: Broker;
  let proxy: StartedChaosProxy;
  beforeAll(async () => {
    broker = await Broker.open();
  });
  beforeEach(async () => {
    proxy = await startChaosProxy({
      upstream: AMQP_URL,
      listeners: [{ service: 'inventory' }],
      adapter: troupeEnvelopeAdapter(),
    });
  });
  afterEach(async () => {
    await proxy.stop();
  });
  afterAll(async () => {
    await broker.cleanup();
  });

  it('amqplib: delay holds the original back; it arrives once, after the later ones', async () => {
    const queue = await broker.queue('delay');
    proxy.apply({ kind: 'delay', service: 'inventory', nth: 1, ms: 150 });
    const consumer = await amqplibConsumer(proxy.urlFor('inventory'), queue, { prefetch: 10, ack: true });
    await broker.publish(queue, bodies(4));
    await until(
      '4 deliveries',
      () => consumer.received.length === 4,
      () => JSON.stringify(consumer.received.map((r) => r.body)),
    );
    expect(consumer.received.map((r) => r.body)).toEqual(['m0', 'm2', 'm3', 'm1']);
    expect(consumer.received.map((r) => r.tag)).toEqual([1, 2, 3, 4]);
    await consumer.connection.close();
    expect(consumer.errors).toEqual([]);
    expect(await broker.ready(queue)).toBe(0);
    expect(proxy.faultLog().map((e) => e.kind)).toEqual(['delay']);
  });

  it('amqplib: reorder holds the originals and releases them in reverse, no copies', async () => {
    const queue = await broker.queue('reorder');
    proxy.apply({ kind: 'reorder', service: 'inventory', nth: 1, count: 3 });
    const consumer = await amqplibConsumer(proxy.urlFor('inventory'), queue, { prefetch: 10, ack: true });
    await broker.publish(queue, bodies(5));
    await until(
      '5 deliveries',
      () => consumer.received.length === 5,
      () => JSON.stringify(consumer.received.map((r) => r.body)),
    );
    expect(consumer.received.map((r) => r.body)).toEqual(['m0', 'm3', 'm2', 'm1', 'm4']);
    await consumer.connection.close();
    expect(consumer.errors).toEqual([]);
    expect(await broker.ready(queue)).toBe(0);
  });

  it('amqplib: a duplicate gets a tag of its own; acking every tag keeps the channel valid and the broker settled', async () => {
    const queue = await broker.queue('duplicate');
    proxy.apply({ kind: 'duplicate', service: 'inventory', nth: 1, copies: 2, redelivered: true });
    proxy.apply({ kind: 'duplicate', service: 'inventory', nth: 3 }); // redelivered flag not set
    const consumer = await amqplibConsumer(proxy.urlFor('inventory'), queue, { prefetch: 10, ack: true });
    await broker.publish(queue, bodies(5));
    await until(
      '8 deliveries',
      () => consumer.received.length === 8,
      () => JSON.stringify(consumer.received.map((r) => r.body)),
    );
    expect(consumer.received.map((r) => `${r.body}${r.redelivered ? '*' : ''}`)).toEqual([
      'm0',
      'm1',
      'm1*',
      'm1*',
      'm2',
      'm3',
      'm3',
      'm4',
    ]);
    expect(new Set(consumer.received.map((r) => r.tag)).size).toBe(8);
    // A copy's ack reaching the broker would be an unknown tag there (406, channel closed, messages requeued).
    await until('every ack through', () => proxy.connections()[0]?.unacked === 0);
    await consumer.connection.close();
    expect(consumer.errors).toEqual([]);
    expect(await broker.ready(queue)).toBe(0);
  });

  it('amqplib: multiple acks and multiple nacks stay right after tags shifted', async () => {
    const queue = await broker.queue('multiple');
    proxy.apply({ kind: 'duplicate', service: 'inventory', nth: 0 });
    proxy.apply({ kind: 'delay', service: 'inventory', nth: 3, ms: 100 });
    const consumer = await amqplibConsumer(proxy.urlFor('inventory'), queue, { prefetch: 20, ack: false });
    await broker.publish(queue, bodies(10));
    await until(
      '11 deliveries',
      () => consumer.received.length === 11,
      () => JSON.stringify(consumer.received.map((r) => r.body)),
    );
    const order = consumer.received.map((r) => r.body);
    expect(order).toEqual(['m0', 'm0', 'm1', 'm2', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9', 'm3']);
    await consumer.channel.cancel(consumer.consumerTag); // requeued messages must not come back to us
    consumer.channel.ack((consumer.received[5] as Received).message, true); // m0, copy, m1, m2, m4, m5
    consumer.channel.nack((consumer.received[10] as Received).message, true, true); // m6..m9 and m3, requeued
    await until('every settlement through', () => proxy.connections()[0]?.unacked === 0);
    await consumer.channel.close();
    expect(consumer.errors).toEqual([]);
    expect((await broker.drain(queue)).sort()).toEqual(['m3', 'm6', 'm7', 'm8', 'm9']);
    await consumer.connection.close();
  });

  it('amqplib: prefetch is honoured through the proxy', async () => {
    const queue = await broker.queue('prefetch');
    proxy.apply({ kind: 'delay', service: 'inventory', nth: 100, ms: 1 }); // a decision on every delivery
    const consumer = await amqplibConsumer(proxy.urlFor('inventory'), queue, { prefetch: 2, ack: false });
    await broker.publish(queue, bodies(5));
    await until('2 deliveries', () => consumer.received.length === 2);
    expect(await broker.ready(queue)).toBe(3); // the broker holds the rest back
    expect(proxy.connections()[0]?.consumers).toEqual([
      expect.objectContaining({ queue, prefetch: 2, noAck: false }),
    ]);
    consumer.channel.ack((consumer.received[0] as Received).message);
    await until('a third delivery after one ack', () => consumer.received.length === 3);
    expect(await broker.ready(queue)).toBe(2);
    await consumer.connection.close();
    expect(consumer.errors).toEqual([]);
  });

  it('amqplib: pause withholds every delivery to the service for the window, then releases them in order', async () => {
    const queue = await broker.queue('pause');
    const consumer = await amqplibConsumer(proxy.urlFor('inventory'), queue, { prefetch: 10, ack: true });
    const pausedAt = Date.now();
    proxy.apply({ kind: 'pause', service: 'inventory', ms: 300 });
    await broker.publish(queue, bodies(3));
    await until('3 deliveries', () => consumer.received.length === 3);
    expect(consumer.received.map((r) => r.body)).toEqual(['m0', 'm1', 'm2']);
    for (const r of consumer.received) expect(r.at - pausedAt).toBeGreaterThanOrEqual(295);
    await consumer.connection.close();
    expect(await broker.ready(queue)).toBe(0);
  });

  it('rabbitmq-client: "the 2nd PaymentCompleted delivered to inventory" selects by event type (envelope adapter) and ordinal', async () => {
    const queue = await broker.queue('event-type');
    proxy.apply({
      kind: 'duplicate',
      service: 'inventory',
      match: { eventType: 'PaymentCompleted' },
      nth: 1,
    });
    const connection = new Connection({ url: proxy.urlFor('inventory'), retryLow: 50 });
    const received: string[] = [];
    const consumer = connection.createConsumer({ queue, qos: { prefetchCount: 10 } }, (message) => {
      received.push((JSON.parse(String(message.body)) as { eventId: string }).eventId);
    });
    const event = (eventId: string, eventType: string) =>
      JSON.stringify({ eventId, eventType, correlationId: 'c1', payload: {} });
    await broker.publish(queue, [
      event('e1', 'OrderPlaced'),
      event('e2', 'PaymentCompleted'),
      event('e3', 'OrderPlaced'),
      event('e4', 'PaymentCompleted'),
      event('e5', 'PaymentCompleted'),
    ]);
    await until(
      '6 deliveries',
      () => received.length === 6,
      () => received.join(','),
    );
    expect(received).toEqual(['e1', 'e2', 'e3', 'e4', 'e4', 'e5']);
    expect(proxy.faultLog()[0]?.detail).toMatch(/PaymentCompleted/);
    await consumer.close();
    await connection.close();
    expect(await broker.ready(queue)).toBe(0);
  });

  it('rabbitmq-client: a lost ack stays unacked at the broker and is redelivered once the connection drops', async () => {
    const queue = await broker.queue('lose-ack');
    proxy.apply({ kind: 'lose-ack', service: 'inventory', nth: 1 });
    const connection = new Connection({ url: proxy.urlFor('inventory'), retryLow: 20, retryHigh: 100 });
    const connectionErrors: string[] = [];
    connection.on('error', (error: Error) => connectionErrors.push(error.message)); // the reset
    const received: string[] = [];
    const consumer = connection.createConsumer({ queue, qos: { prefetchCount: 10 } }, (message) => {
      received.push(`${String(message.body)}${message.redelivered ? '*' : ''}`);
    });
    await broker.publish(queue, bodies(3));
    await until('3 deliveries', () => received.length === 3);
    await until('acks through', () => proxy.connections()[0]?.unacked === 0);
    expect(proxy.connections()[0]?.lostAcks).toBe(1);
    expect(await broker.ready(queue)).toBe(0); // m1 is unacked, not ready
    expect(proxy.cut('inventory', 'reset')).toBe(1);
    await until(
      'm1 redelivered after the reconnection',
      () => received.includes('m1*'),
      () => received.join(','),
    );
    await until(
      'the redelivery acked',
      () => proxy.connections()[0]?.unacked === 0 && proxy.connections()[0]?.lostAcks === 0,
    );
    expect(received).toEqual(['m0', 'm1', 'm2', 'm1*']);
    await consumer.close();
    await connection.close();
    expect(await broker.ready(queue)).toBe(0);
    expect(proxy.faultLog().map((e) => e.kind)).toEqual(['lose-ack', 'cut']);
    expect(connectionErrors).toEqual([expect.stringMatching(/ECONNRESET/)]);
  });
});
