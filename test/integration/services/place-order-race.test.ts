import { randomBytes, randomUUID } from 'node:crypto';
import { PostgresStore } from '../../../reference-services/kit/postgres-store';
import { createShopProcessors } from '../../../reference-services/shop-processors';
import { customers, items, seed } from './shop-harness';

describe('placeOrder on PostgreSQL', () => {
  it('the same orderId placed concurrently creates one order and one OrderPlaced', async () => {
    const store = await PostgresStore.open({
      namespace: `place_race_${randomBytes(4).toString('hex')}`,
      poolSize: 6,
    });
    try {
      const shop = createShopProcessors({ store });
      await shop.seed(seed);
      const orderId = randomUUID();
      const placed = await Promise.all(
        Array.from({ length: 5 }, () =>
          shop.placeOrder({ orderId, customerId: customers.ada, items: items('BOOK-001', 1) }),
        ),
      );
      expect(placed.map((result) => result.created).sort()).toEqual([false, false, false, false, true]);
      const outbox = await store.outbox();
      expect(outbox.map((row) => row.eventType)).toEqual(['OrderPlaced']);
      // Every caller is told the flow that actually exists.
      expect(new Set(placed.map((result) => result.correlationId))).toEqual(
        new Set([outbox[0]?.correlationId]),
      );
    } finally {
      await store.dropSchema();
      await store.close();
    }
  });
});
