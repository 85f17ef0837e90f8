import { createServer, connect as tcpConnect, type Server } from 'node:net';
import * as amqplib from 'amqplib';
import { Connection } from 'rabbitmq-client';
import { ChaosError, startChaosProxy, type StartedChaosProxy } from '../../../harness/chaos/index';
import { PROTOCOL_HEADER } from '../../../harness/chaos/codec/frame';
import { AMQP_URL, Broker, until, untilAsync } from './chaos-support';

describe('chaos proxy: publisher confirms and connections, real RabbitMQ', () => {
  let broker: Broker;
  let proxy: StartedChaosProxy;
  const lines: string[] = [];
  beforeAll(async () => {
    broker = await Broker.open();
  });
  beforeEach(async () => {
    lines.length = 0;
    proxy = await startChaosProxy({
      upstream: AMQP_URL,
      listeners: [{ service: 'payments' }, { service: 'orders' }],
      log: (line) => lines.push(line),
    });
  });
  afterEach(async () => {
    await proxy.stop();
  });
  afterAll(async () => {
    await broker.cleanup();
  });

  const publisher = (url: string) => {
    const connection = new Connection({ url, retryLow: 20, retryHigh: 100 });
    const errors: string[] = [];
    connection.on('error', (error: Error) => errors.push(error.message));
    return { connection, errors, publisher: connection.createPublisher({ confirm: true }) };
  };

  it('rabbitmq-client: confirms pass through unchanged without faults', async () => {
    const queue = await broker.queue('confirms');
    const { connection, publisher: pub } = publisher(proxy.urlFor('payments'));
    await Promise.all(Array.from({ length: 50 }, (_, i) => pub.send(queue, `m${i}`)));
    expect(await broker.ready(queue)).toBe(50);
    expect(proxy.connections('payments')[0]?.confirmChannels).toBe(1);
    await pub.close();
    await connection.close();
    expect(proxy.faultLog()).toEqual([]);
  });

  it('rabbitmq-client: a delayed confirm resolves late; nack-confirm rejects the send and the broker never gets it', async () => {
    const queue = await broker.queue('confirm-faults');
    proxy.apply({ kind: 'delay-confirm', service: 'payments', nth: 2, ms: 250 });
    proxy.apply({ kind: 'nack-confirm', service: 'payments', nth: 4 });
    const { connection, publisher: pub } = publisher(proxy.urlFor('payments'));
    const started = Date.now();
    const settled = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        pub.send(queue, `m${i}`).then(
          () => ({ i, ok: true, ms: Date.now() - started }),
          (error: { code?: string }) => ({ i, ok: false, code: error.code, ms: Date.now() - started }),
        ),
      ),
    );
    expect(settled.filter((s) => !s.ok)).toEqual([expect.objectContaining({ i: 4, code: 'NACK' })]);
    const late = settled[2]?.ms ?? 0;
    expect(late).toBeGreaterThanOrEqual(245);
    for (const s of settled) if (s.i !== 2) expect(s.ms).toBeLessThan(late);
    expect((await broker.drain(queue)).sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm5']);
    await pub.close();
    await connection.close();
    expect(proxy.faultLog().map((e) => e.kind)).toEqual(['delay-confirm', 'nack-confirm', 'delay-confirm']);
  });

  it('amqplib: confirm channel — a nacked publish fails its callback, a dropped publish never reaches the broker and a cut tells the publisher', async () => {
    const queue = await broker.queue('amqplib-confirms');
    proxy.apply({ kind: 'nack-confirm', service: 'payments', nth: 1 });
    proxy.apply({ kind: 'drop-publish', service: 'payments', nth: 3, thenCut: 'close' });
    const connection = await amqplib.connect(proxy.urlFor('payments'));
    const closed = new Promise<Error | undefined>((resolve) => connection.on('close', resolve));
    connection.on('error', () => undefined);
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => undefined);
    const send = (i: number) =>
      new Promise<string>((resolve) => {
        channel.sendToQueue(queue, Buffer.from(`m${i}`), {}, (error: unknown) =>
          resolve(error ? `m${i} failed` : `m${i} ok`),
        );
      });
    expect(await Promise.all([0, 1, 2].map(send))).toEqual(['m0 ok', 'm1 failed', 'm2 ok']);
    expect(await send(3)).toBe('m3 failed'); // dropped, then the connection is closed: never confirmed
    const error = await closed;
    expect(String(error)).toMatch(/320/);
    expect((await broker.drain(queue)).sort()).toEqual(['m0', 'm2']);
    expect(proxy.faultLog().map((e) => e.kind)).toEqual(['nack-confirm', 'drop-publish', 'drop-publish']);
  });

  it('amqplib: drop-publish without a cut — the publish is lost and never confirmed, later ones are, the connection stays up', async () => {
    const queue = await broker.queue('drop-no-cut');
    proxy.apply({ kind: 'drop-publish', service: 'payments', nth: 1 });
    const connection = await amqplib.connect(proxy.urlFor('payments'));
    let closed = false;
    connection.on('close', () => (closed = true));
    connection.on('error', () => undefined);
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => undefined);
    const confirmed = new Map<string, string>();
    const send = (body: string) =>
      new Promise<string>((resolve) => {
        channel.sendToQueue(queue, Buffer.from(body), {}, (error: unknown) => {
          confirmed.set(body, error ? 'failed' : 'ok');
          resolve(`${body} ${error ? 'failed' : 'ok'}`);
        });
      });
    // Publishes in this order: m0, m1 (the 2nd: dropped), m2, m3.
    const first = send('m0');
    const dropped = send('m1');
    const later = ['m2', 'm3'].map(send);
    // m0 before it, m2 and m3 after it are confirmed (the broker's confirms renumbered around the gap).
    expect(await Promise.all([first, ...later])).toEqual(['m0 ok', 'm2 ok', 'm3 ok']);
    let ready = 0;
    await untilAsync(
      'm0, m2 and m3 on the queue',
      async () => (ready = await broker.ready(queue)) === 3,
      () => `${ready} ready`,
    );
    // Later confirms came and went: m1's is not late, it never comes — and nothing told the publisher.
    expect(await send('m4')).toBe('m4 ok');
    expect(confirmed.has('m1')).toBe(false);
    expect(closed).toBe(false);
    expect(proxy.connections('payments')).toHaveLength(1);
    expect((await broker.drain(queue)).sort()).toEqual(['m0', 'm2', 'm3', 'm4']);
    expect(proxy.faultLog()).toEqual([
      expect.objectContaining({ service: 'payments', kind: 'drop-publish' }),
    ]);
    await connection.close();
    // Closing the channel fails the publish that was never confirmed: only now does the publisher learn of it.
    expect(await dropped).toBe('m1 failed');
  });

  it('drop-publish on a publisher without confirms: the message is lost silently and the connection stays up', async () => {
    const queue = await broker.queue('drop-no-confirms');
    proxy.apply({ kind: 'drop-publish', service: 'orders', match: { routingKey: queue }, nth: 0 });
    const connection = await amqplib.connect(proxy.urlFor('orders'));
    let closed = false;
    connection.on('close', () => (closed = true));
    const channel = await connection.createChannel();
    for (const body of ['a', 'b', 'c']) channel.sendToQueue(queue, Buffer.from(body));
    await channel.checkQueue(queue); // a round trip through the proxy: the publishes before it were forwarded
    expect((await broker.drain(queue)).sort()).toEqual(['b', 'c']);
    expect(closed).toBe(false);
    expect(proxy.faultLog().map((entry) => [entry.service, entry.kind])).toEqual([
      ['orders', 'drop-publish'],
    ]);
    await connection.close();
  });

  it('amqplib: a cut at a publish — the message reached the broker, its confirm never reached the publisher', async () => {
    const queue = await broker.queue('cut-at-publish');
    proxy.apply({ kind: 'cut', service: 'payments', how: 'reset', on: { on: 'publish', nth: 1 } });
    const connection = await amqplib.connect(proxy.urlFor('payments'));
    connection.on('error', () => undefined);
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => undefined);
    const send = (body: string) =>
      new Promise<string>((resolve) => {
        channel.sendToQueue(queue, Buffer.from(body), {}, (error: unknown) =>
          resolve(error ? `${body} failed` : `${body} ok`),
        );
      });
    expect(await send('m0')).toBe('m0 ok');
    expect(await send('m1')).toBe('m1 failed');
    let ready = 0;
    await untilAsync(
      'm1 on the queue',
      async () => (ready = await broker.ready(queue)) === 2,
      () => `${ready} ready`,
    );
    expect((await broker.drain(queue)).sort()).toEqual(['m0', 'm1']);
    expect(proxy.faultLog().map((e) => e.kind)).toEqual(['cut', 'cut']);
  });

  it('refuse: new connections of the service are reset for the window, then accepted', async () => {
    proxy.apply({ kind: 'refuse', service: 'orders', ms: 300 });
    const refusedAt = Date.now();
    await expect(amqplib.connect(proxy.urlFor('orders'))).rejects.toThrow();
    let connection: amqplib.ChannelModel | undefined;
    while (connection === undefined) {
      connection = await amqplib.connect(proxy.urlFor('orders')).catch(() => undefined);
      if (Date.now() - refusedAt > 5_000) throw new Error('still refused after 5 s');
      if (connection === undefined) await new Promise((resolve) => setTimeout(resolve, 10)); // poll interval
    }
    expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(295);
    await connection.close();
    expect(proxy.faultLog()[0]).toMatchObject({
      kind: 'refuse',
      detail: 'new connections refused for 300 ms',
    });
    expect(proxy.faultLog().filter((e) => e.kind === 'refuse').length).toBeGreaterThanOrEqual(2);
  });

  it('amqplib: cut with connection.close 320 — the client sees CONNECTION_FORCED, the broker requeues its unacked deliveries', async () => {
    const queue = await broker.queue('cut-close');
    await broker.publish(queue, ['m0', 'm1']);
    const connection = await amqplib.connect(proxy.urlFor('orders'));
    const closed = new Promise<Error | undefined>((resolve) => connection.on('close', resolve));
    connection.on('error', () => undefined);
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    const got: string[] = [];
    await channel.consume(queue, (message) => message !== null && got.push(message.content.toString()));
    await until('2 deliveries', () => got.length === 2);
    expect(await broker.ready(queue)).toBe(0);
    expect(proxy.cut('orders', 'close')).toBe(1);
    expect(String(await closed)).toMatch(/320.*CONNECTION_FORCED/);
    let ready = 0;
    await untilAsync(
      'the unacked deliveries requeued',
      async () => (ready = await broker.ready(queue)) === 2,
      () => `${ready} ready`,
    );
    await broker.drain(queue);
  });

  it('rabbitmq-client: cut at a trigger, reconnection refused for a window, then the client reconnects through the proxy', async () => {
    const queue = await broker.queue('cut-trigger');
    proxy.apply({
      kind: 'cut',
      service: 'orders',
      how: 'reset',
      on: { on: 'deliver', nth: 1 },
      refuseMs: 300,
    });
    const connection = new Connection({ url: proxy.urlFor('orders'), retryLow: 20, retryHigh: 50 });
    connection.on('error', () => undefined);
    const received: string[] = [];
    const consumer = connection.createConsumer({ queue, qos: { prefetchCount: 1 } }, (message) => {
      received.push(`${String(message.body)}${message.redelivered ? '*' : ''}`);
    });
    consumer.on('error', () => undefined);
    await broker.publish(queue, ['m0', 'm1', 'm2']);
    await until(
      'every message acked after the reconnection',
      () => received.includes('m2'),
      () => received.join(','),
    );
    await until('settled', () => proxy.connections('orders')[0]?.unacked === 0);
    expect(received.filter((r) => r.startsWith('m1'))).toContain('m1*'); // its ack died with the connection
    const log = proxy.faultLog();
    expect(log[0]).toMatchObject({ kind: 'cut', service: 'orders' });
    expect(log.filter((e) => e.kind === 'refuse').length).toBeGreaterThanOrEqual(1);
    const refusedFor = (log.at(-1)?.atMs ?? 0) - (log[0]?.atMs ?? 0);
    expect(refusedFor).toBeLessThanOrEqual(400);
    await consumer.close();
    await connection.close();
    expect(await broker.ready(queue)).toBe(0);
  });

  it('amqplib (recovery): cut with connection.close 320 and reconnection refused; the client recovers through the proxy', async () => {
    const queue = await broker.queue('amqplib-recovery');
    const got: string[] = [];
    let connects = 0;
    const connection = await amqplib.connect(proxy.urlFor('orders'), {
      recovery: {
        initialDelay: 20,
        factor: 1.5,
        jitter: 0,
        setup: async (model: amqplib.ChannelModel) => {
          connects += 1;
          const channel = await model.createChannel();
          await channel.consume(queue, (m) => m !== null && (got.push(m.content.toString()), channel.ack(m)));
        },
      },
    });
    connection.on('error', () => undefined);
    try {
      await broker.publish(queue, ['before']);
      await until('the first delivery', () => got.length === 1);
      expect(proxy.cut('orders', 'close', { refuseMs: 150 })).toBe(1);
      await until(
        'reconnected',
        () => connects === 2 && proxy.connections('orders').length === 1,
        () => `${connects} connects`,
      );
      await broker.publish(queue, ['after']);
      await until(
        'a delivery after the reconnection',
        () => got.includes('after'),
        () => got.join(','),
      );
      expect(got).toEqual(['before', 'after']);
      expect(proxy.faultLog().filter((e) => e.kind === 'refuse').length).toBeGreaterThanOrEqual(1);
    } finally {
      await connection.close();
    }
  });

  it('a malformed frame closes that one connection with a line naming the service and the frame; the proxy goes on', async () => {
    const socket = tcpConnect(proxy.portOf('orders'), '127.0.0.1');
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.write(Buffer.concat([PROTOCOL_HEADER, Buffer.from([9, 0, 0, 0, 0, 0, 0, 0xce])]));
    await closed;
    expect(lines).toEqual([
      expect.stringMatching(/^orders connection \d+: malformed-frame from the client: unknown frame type 9/),
    ]);
    const queue = await broker.queue('after-bad-frame');
    const { connection, publisher: pub } = publisher(proxy.urlFor('orders'));
    await pub.send(queue, 'still works');
    expect(await broker.drain(queue)).toEqual(['still works']);
    await pub.close();
    await connection.close();
  });

  it('a listener port in use fails the start, naming the port and who holds it', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const started = startChaosProxy({
        upstream: AMQP_URL,
        listeners: [{ service: 'a' }, { service: 'shipping', port }],
      });
      const error: unknown = await started.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ChaosError);
      expect((error as ChaosError).code).toBe('port-in-use');
      expect((error as ChaosError).message).toContain(
        `port ${port} for service "shipping" is in use (held by pid ${process.pid}`,
      );
    } finally {
      holder.close();
    }
  });
});
