import { InMemoryTransport } from '../../harness/transport/memory/in-memory-transport';

const topology = {
  exchanges: [{ name: 'x', type: 'topic' as const }],
  queues: [{ name: 'q', exchange: 'x', bindings: ['#'] }],
};
const message = (n: number) => ({ routingKey: 'k', body: Buffer.from(String(n)), messageId: `m${n}` });

describe('in-memory transport: connection cuts and stepped publisher confirms', () => {
  it('a cut redelivers what the connection held unacked (in order) and voids its late acks', async () => {
    const transport = new InMemoryTransport({ drive: 'stepped' });
    await transport.declare(topology);
    const connection = transport.connect('svc-1');
    const release: (() => void)[] = [];
    await connection.consume('q', () => new Promise((resolve) => release.push(() => resolve('ack'))), {
      prefetch: 4,
    });
    for (const n of [1, 2]) await transport.publish('x', message(n));
    const [a, b] = transport.pending();
    const runs = [transport.deliver(a?.id ?? 0), transport.deliver(b?.id ?? 0)];
    expect(transport.unackedCount()).toBe(2);
    transport.cut('svc-1');
    expect(transport.pending().map((m) => [m.messageId, m.redelivered])).toEqual([
      ['m1', true],
      ['m2', true],
    ]);
    for (const resolve of release) resolve();
    expect((await Promise.all(runs)).map((step) => step.settled)).toEqual([
      'connection-lost',
      'connection-lost',
    ]);
    expect(transport.pendingCount()).toBe(2);
    await transport.close();
  });

  it('stepped confirms: ack routes and resolves, nack rejects unrouted, lose routes and fails at the cut', async () => {
    const transport = new InMemoryTransport({ drive: 'stepped', confirms: 'stepped' });
    await transport.declare(topology);
    const publisher = transport.connect('relay-1');
    const acked = publisher.publish('x', message(1));
    const nacked = publisher.publish('x', message(2));
    const lost = publisher.publish('x', message(3));
    const [c1, c2, c3] = transport.pendingConfirms();
    expect(transport.pendingCount()).toBe(0);
    transport.confirm(c1?.id ?? 0, 'ack');
    await expect(acked).resolves.toBeUndefined();
    transport.confirm(c2?.id ?? 0, 'nack');
    await expect(nacked).rejects.toMatchObject({ code: 'publish-nacked' });
    transport.confirm(c3?.id ?? 0, 'lose');
    expect(transport.lostConfirmCount()).toBe(1);
    expect(transport.pending().map((m) => m.messageId)).toEqual(['m1', 'm3']);
    transport.cut('relay-1');
    await expect(lost).rejects.toMatchObject({ code: 'connection-lost' });
    await transport.close();
  });
});
