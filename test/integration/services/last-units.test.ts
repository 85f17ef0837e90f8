import { customers, items, shopUnderTest } from './shop-harness';

describe('stock never goes negative on PostgreSQL', () => {
  it('20 concurrent orders for the last 3 units: exactly 3 ship, 17 are refunded and cancelled', async () => {
    // Two competing inventory runtimes in this process, like two instances of the service.
    const env = await shopUnderTest();
    const rival = await shopUnderTest.attach(env, { services: ['inventory'], relays: 0 });
    try {
      const placed = await Promise.all(
        Array.from({ length: 20 }, () =>
          env.shop.placeOrder({ customerId: customers.ada, items: items('PEN-002', 1) }),
        ),
      );
      const finals = await Promise.all(
        placed.map((order) => env.shop.waitForTerminal(order.orderId, 30_000)),
      );
      const statuses = finals.map((order) => order.status);
      expect(statuses.filter((status) => status === 'shipped')).toHaveLength(3);
      expect(statuses.filter((status) => status === 'cancelled')).toHaveLength(17);
      expect(await env.shop.stock('PEN-002')).toEqual({ sku: 'PEN-002', available: 0, reserved: 3 });
      const state = await env.shop.state();
      expect(state.refunds.filter((refund) => refund.status === 'refunded')).toHaveLength(17);
    } finally {
      await rival.stop();
      await env.dispose();
    }
  });
});
