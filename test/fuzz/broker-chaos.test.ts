import { seededRandom } from '../../harness/fuzz/_internals/seeded-random';
import { CHAOS_HEADER, startBrokerChaos } from '../../harness/fuzz/broker/broker-chaos';
import { InMemoryTransport } from '../../harness/transport/memory/in-memory-transport';
import type { Delivery } from '../../harness/transport/transport';

// The man-in-the-middle's logic on the in-memory transport (the live-broker tests run it on RabbitMQ).
describe('broker chaos (man-in-the-middle)', () => {
  it('re-publishes copies with the same ids, never copies its copies, and drains held-back ones', async () => {
    const transport = new InMemoryTransport();
    await transport.declare({
      exchanges: [{ name: 'x', type: 'topic' }],
      queues: [{ name: 'consumer', exchange: 'x', bindings: ['#'] }],
    });
    const seen: Delivery[] = [];
    await transport.consume('consumer', (d) => {
      seen.push(d);
      return Promise.resolve('ack');
    });
    const chaos = await startBrokerChaos({
      transport,
      exchange: 'x',
      queue: 'chaos',
      random: seededRandom(42),
      chaos: { duplicateRate: 1, maxCopies: 2, maxDelayMs: 5, holdBatch: 100 },
    });
    for (let i = 0; i < 20; i++) {
      await transport.publish('x', { routingKey: 'k', body: Buffer.from(`m${i}`), messageId: `id-${i}` });
    }
    await transport.whenIdle();
    expect(await chaos.drain(5_000)).toBe(true);
    await transport.whenIdle();
    const originals = seen.filter((d) => d.headers[CHAOS_HEADER] === undefined);
    const copies = seen.filter((d) => d.headers[CHAOS_HEADER] !== undefined);
    expect(originals).toHaveLength(20);
    expect(chaos.stats.observed).toBe(20);
    expect(copies).toHaveLength(chaos.stats.immediate + chaos.stats.delayed + chaos.stats.heldBack);
    expect(chaos.stats.heldBack).toBeGreaterThan(0); // released by drain although the batch never filled
    for (const copy of copies) {
      expect(Buffer.from(copy.body).toString()).toBe(`m${copy.messageId?.slice(3) ?? ''}`);
    }
    await chaos.stop();
    await transport.close();
  });
});
