import { InMemoryTransport } from '../../../harness/transport/memory/in-memory-transport';
import { InMemoryTransportError } from '../../../harness/transport/memory/in-memory-transport-error';
import type { Delivery, Topology } from '../../../harness/transport/transport';

const topology: Topology = {
  exchanges: [
    { name: 'shop', type: 'topic' },
    { name: 'shop.dlx', type: 'topic' },
  ],
  queues: [
    { name: 'payments', exchange: 'shop', bindings: ['orders.order.*'], deadLetterExchange: 'shop.dlx' },
    { name: 'audit', exchange: 'shop', bindings: ['#'] },
    { name: 'payments.dlq', exchange: 'shop.dlx', bindings: ['#'] },
  ],
};

const body = (text: string): Uint8Array => Buffer.from(text, 'utf8');
const text = (delivery: { body: Uint8Array }): string => Buffer.from(delivery.body).toString('utf8');

describe('InMemoryTransport (auto)', () => {
  it('routes by topic pattern, delivers FIFO per queue and reports idle', async () => {
    const transport = new InMemoryTransport();
    await transport.declare(topology);
    const seen: string[] = [];
    await transport.consume('payments', (d) => {
      seen.push(text(d));
      return Promise.resolve('ack');
    });
    for (const n of [1, 2, 3])
      await transport.publish('shop', { routingKey: 'orders.order.placed', body: body(`m${n}`) });
    await transport.publish('shop', { routingKey: 'payments.payment.completed', body: body('other') });
    await transport.whenIdle();
    expect(seen).toEqual(['m1', 'm2', 'm3']);
    // audit has no consumer: its four messages wait.
    expect(transport.pendingCount('audit')).toBe(4);
    expect(transport.stats()).toMatchObject({ published: 4, delivered: 3, acked: 3 });
    await transport.close();
  });

  it('requeue redelivers with redelivered=true; reject dead-letters with x-death headers', async () => {
    const transport = new InMemoryTransport();
    await transport.declare(topology);
    const attempts: Delivery[] = [];
    await transport.consume('payments', (d) => {
      attempts.push(d);
      return Promise.resolve(attempts.length === 1 ? 'requeue' : 'reject');
    });
    const dead: Delivery[] = [];
    await transport.consume('payments.dlq', (d) => {
      dead.push(d);
      return Promise.resolve('ack');
    });
    await transport.publish('shop', { routingKey: 'orders.order.placed', body: body('x'), messageId: 'e1' });
    await transport.whenIdle();
    expect(attempts.map((d) => d.redelivered)).toEqual([false, true]);
    expect(attempts[0]?.deliveryTag).not.toBe(attempts[1]?.deliveryTag);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ messageId: 'e1', exchange: 'shop.dlx', queue: 'payments.dlq' });
    expect(dead[0]?.headers['x-first-death-reason']).toBe('rejected');
    // harness/transport/dead-letter.ts: dead letters are keyed by the source queue's name.
    expect(dead[0]?.routingKey).toBe('payments');
    expect(dead[0]?.headers['x-first-death-queue']).toBe('payments');
    await transport.close();
  });

  it('respects prefetch: at most N handlers run at once per consumer', async () => {
    const transport = new InMemoryTransport();
    await transport.declare(topology);
    let running = 0;
    let peak = 0;
    const release: (() => void)[] = [];
    await transport.consume(
      'payments',
      async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => release.push(resolve));
        running--;
        return 'ack';
      },
      { prefetch: 2 },
    );
    for (const n of [1, 2, 3, 4, 5])
      await transport.publish('shop', { routingKey: 'orders.order.x', body: body(`${n}`) });
    const drain = async (): Promise<void> => {
      while (transport.stats().acked < 5) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        release.splice(0).forEach((r) => r());
      }
    };
    await drain();
    expect(peak).toBe(2);
    await transport.close();
  });

  it('gives clear coded errors for undeclared exchanges and queues', async () => {
    const transport = new InMemoryTransport();
    await expect(transport.publish('nope', { routingKey: 'a', body: body('') })).rejects.toMatchObject({
      code: 'exchange-not-found',
    });
    await expect(transport.consume('missing', () => Promise.resolve('ack'))).rejects.toBeInstanceOf(
      InMemoryTransportError,
    );
    await expect(
      transport.declare({ exchanges: [], queues: [{ name: 'q', exchange: 'ghost', bindings: ['#'] }] }),
    ).rejects.toMatchObject({ code: 'exchange-not-found' });
    await transport.close();
    await expect(transport.publish('shop', { routingKey: 'a', body: body('') })).rejects.toMatchObject({
      code: 'transport-closed',
    });
  });

  it('requeues when the handler throws and reports the error', async () => {
    const errors: unknown[] = [];
    const transport = new InMemoryTransport({ onHandlerError: (error) => errors.push(error) });
    await transport.declare(topology);
    let calls = 0;
    await transport.consume('payments', () => {
      calls++;
      if (calls === 1) throw new Error('boom');
      return Promise.resolve('ack');
    });
    await transport.publish('shop', { routingKey: 'orders.order.placed', body: body('x') });
    await transport.whenIdle();
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
    await transport.close();
  });

  it('default exchange routes to the queue named by the routing key; direct and fanout exchanges work', async () => {
    const transport = new InMemoryTransport({ drive: 'stepped' });
    await transport.declare({
      exchanges: [
        { name: 'd', type: 'direct' },
        { name: 'f', type: 'fanout' },
      ],
      queues: [
        { name: 'q1', exchange: 'd', bindings: ['a.b'] },
        { name: 'q2', exchange: 'f', bindings: [''] },
      ],
    });
    await transport.publish('d', { routingKey: 'a.b', body: body('1') });
    await transport.publish('d', { routingKey: 'a.c', body: body('2') });
    await transport.publish('f', { routingKey: 'anything', body: body('3') });
    await transport.publish('', { routingKey: 'q1', body: body('4') });
    expect(transport.pending().map((m) => `${m.queue}:${text(m)}`)).toEqual(['q1:1', 'q1:4', 'q2:3']);
    expect(transport.stats().dropped).toBe(1);
    await transport.close();
  });
});

describe('InMemoryTransport (stepped)', () => {
  it('delivers only on request, duplicates, and loses acks deterministically', async () => {
    const transport = new InMemoryTransport({ drive: 'stepped' });
    await transport.declare(topology);
    const seen: string[] = [];
    await transport.consume('payments', (d) => {
      seen.push(`${text(d)}${d.redelivered ? '*' : ''}`);
      return Promise.resolve('ack');
    });
    await transport.publish('shop', { routingKey: 'orders.order.placed', body: body('a'), messageId: 'A' });
    await transport.publish('shop', { routingKey: 'orders.order.placed', body: body('b'), messageId: 'B' });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(seen).toEqual([]);
    const [a, b] = transport.pending('payments');
    if (!a || !b) throw new Error('expected two pending messages');
    const [copy] = transport.duplicate(a.id, 1);
    expect(copy).toMatchObject({ messageId: 'A', duplicateOf: a.id, redelivered: false });
    expect(await transport.deliver(b.id)).toMatchObject({ outcome: 'ack', settled: 'acked' });
    expect(await transport.deliver(a.id, { ack: 'lose' })).toMatchObject({ settled: 'ack-lost' });
    const redelivery = transport.pending('payments')[0];
    expect(redelivery).toMatchObject({ id: a.id, redelivered: true });
    await transport.deliver(a.id);
    await transport.deliver(copy?.id ?? -1);
    expect(seen).toEqual(['b', 'a', 'a*', 'a']);
    expect(transport.pendingCount('payments')).toBe(0);
    await expect(transport.deliver(a.id)).rejects.toMatchObject({ code: 'unknown-delivery' });
    await transport.close();
  });

  it('names the next deliverable message by priority then arrival, skipping queues without room', async () => {
    const transport = new InMemoryTransport({ drive: 'stepped', confirms: 'stepped' });
    await transport.declare(topology);
    await transport.consume('payments', () => Promise.resolve('ack'), { prefetch: 1 });
    // 'audit' has no consumer: its copies are never deliverable.
    const published = [
      transport.publish('shop', { routingKey: 'orders.order.placed', body: body('a'), messageId: 'A' }),
      transport.publish('shop', { routingKey: 'orders.order.placed', body: body('b'), messageId: 'B' }),
    ];
    expect(transport.nextDeliverable(() => 0)).toBe(-1); // nothing routed before a confirm
    const confirms: number[] = [];
    transport.scanConfirms((id) => confirms.push(id));
    expect(transport.nextConfirm(() => true)).toBe(confirms[0]);
    expect(transport.nextConfirm((id) => id !== confirms[0])).toBe(confirms[1]);
    expect(transport.confirmConnection(confirms[0] ?? -1)).toBeUndefined();
    for (const id of confirms) transport.confirm(id, 'ack');
    await Promise.all(published);
    const seen: string[] = [];
    transport.scanPending((id, queue, messageId) => seen.push(`${queue}:${messageId ?? '?'}:${id}`));
    const [a, b] = transport.pending('payments');
    if (!a || !b) throw new Error('expected two pending payments');
    expect(seen).toEqual(transport.pending().map((m) => `${m.queue}:${m.messageId ?? '?'}:${m.id}`));
    expect(transport.nextDeliverable(() => 0)).toBe(a.id);
    expect(transport.nextDeliverable((id) => (id === a.id ? 1 : 0))).toBe(b.id);
    await transport.close();
    // While 'a' is being handled, the only consumer is at its prefetch: nothing else is deliverable.
    let release: () => void = () => undefined;
    const held = new InMemoryTransport({ drive: 'stepped' });
    await held.declare(topology);
    await held.consume('payments', () => new Promise((resolve) => (release = () => resolve('ack'))), {
      prefetch: 1,
    });
    await held.publish('shop', { routingKey: 'orders.order.placed', body: body('a') });
    await held.publish('shop', { routingKey: 'orders.order.placed', body: body('b') });
    const [first, second] = held.pending('payments');
    if (!first || !second) throw new Error('expected two pending payments');
    const running = held.deliver(first.id);
    expect(held.nextDeliverable(() => 0)).toBe(-1);
    release();
    await running;
    expect(held.nextDeliverable(() => 0)).toBe(second.id);
    await held.close();
  });

  it('refuses to deliver to a queue without consumer', async () => {
    const transport = new InMemoryTransport({ drive: 'stepped' });
    await transport.declare(topology);
    await transport.publish('shop', { routingKey: 'orders.order.placed', body: body('a') });
    const [first] = transport.pending('audit');
    await expect(transport.deliver(first?.id ?? -1)).rejects.toMatchObject({ code: 'no-consumer' });
    await transport.close();
  });
});
