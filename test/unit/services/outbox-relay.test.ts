import { eventually } from '../../../harness/assert';
import { InMemoryTransport } from '../../../harness/transport/memory/in-memory-transport';
import type { Transport } from '../../../harness/transport/transport';
import type { ServiceError } from '../../../reference-services/kit/errors';
import { MemoryStore } from '../../../reference-services/kit/memory-store';
import { OutboxRelay } from '../../../reference-services/kit/outbox-relay';

describe('OutboxRelay', () => {
  it('leaves a row whose publish failed unpublished, retries after a backoff and marks it once confirmed', async () => {
    const store = new MemoryStore();
    const broker = new InMemoryTransport();
    await broker.declare({
      exchanges: [{ name: 'events', type: 'topic' }],
      queues: [{ name: 'all', exchange: 'events', bindings: ['#'] }],
    });
    let refusals = 1;
    const transport: Transport = {
      declare: (topology) => broker.declare(topology),
      consume: (queue, handler, options) => broker.consume(queue, handler, options),
      close: () => broker.close(),
      publish: (exchange, message) =>
        refusals-- > 0
          ? Promise.reject(new Error('nacked by the broker'))
          : broker.publish(exchange, message),
    };
    const errors: ServiceError[] = [];
    const relay = new OutboxRelay({ store, transport, exchange: 'events', onError: (e) => errors.push(e) });
    await store.transaction((tx) =>
      tx.appendOutbox({
        aggregateId: 'order-1',
        eventId: 'event-1',
        eventType: 'OrderPlaced',
        routingKey: 'orders.order.placed',
        correlationId: 'flow-1',
        body: '{}',
      }),
    );
    relay.start();
    try {
      await eventually(() => relay.published === 1, { within: 5_000, description: 'the row to be relayed' });
      expect(errors.map((error) => [error.code, error.message])).toEqual([
        ['relay-publish-failed', 'publishing 1 row(s) failed: nacked by the broker'],
      ]);
      expect((await store.outbox()).map((row) => row.publishedAt !== null)).toEqual([true]);
      expect(broker.stats().published).toBe(1);
    } finally {
      await relay.stop();
      await broker.close();
    }
  });
});
