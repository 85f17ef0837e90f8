import { closeOwnConnections } from '../../../harness/transport/amqp/rabbitmqctl';
import type { OutboxRecord } from '../../../reference-services/kit/store';
import type { RuntimeRecord } from '../../../reference-services/kit/service-runtime';
import { customers, items, shopUnderTest } from './shop-harness';

describe('at-least-once under failure (RabbitMQ + PostgreSQL)', () => {
  it('a relay that dies between publish and mark republishes; consumers absorb the duplicates', async () => {
    const records: RuntimeRecord[] = [];
    let crashes = 0;
    const env = await shopUnderTest({
      onRecord: (record) => records.push(record),
      relayBeforeMark: (rows: readonly OutboxRecord[]) => {
        // Die after the broker confirmed the first batch of each event type once.
        if (crashes < 3 && rows.some((row) => row.eventType !== 'CustomerNotified')) {
          crashes++;
          throw new Error('relay crashed after publish, before mark');
        }
      },
    });
    try {
      const { orderId } = await env.shop.placeOrder({
        customerId: customers.ada,
        items: items('BOOK-001', 1),
      });
      expect((await env.shop.waitForTerminal(orderId, 20_000)).status).toBe('shipped');
      const state = await env.shop.state(orderId);
      expect(crashes).toBe(3);
      expect(
        records.filter((r) => r.outcome.kind === 'ack' && r.outcome.status === 'duplicate').length,
      ).toBeGreaterThan(0);
      expect(state.charges).toHaveLength(1);
      expect(state.shipments).toHaveLength(1);
      expect(state.reservations).toHaveLength(1);
    } finally {
      await env.dispose();
    }
  });

  it('closing the service connection mid-flow still lets every flow finish, exactly once', async () => {
    const env = await shopUnderTest();
    try {
      const placed: string[] = [];
      let cut = false;
      const cutting = closeOwnConnections(env.connectionName, 'services integration test').then((closed) => {
        cut = true;
        return closed;
      });
      // Keep orders flowing while rabbitmqctl closes our connection (it takes about a second).
      while (!cut) {
        placed.push(
          (await env.shop.placeOrder({ customerId: customers.ada, items: items('BOOK-001', 1) })).orderId,
        );
      }
      expect(await cutting).toBeGreaterThanOrEqual(1);
      for (let i = 0; i < 5; i++) {
        placed.push(
          (await env.shop.placeOrder({ customerId: customers.ada, items: items('BOOK-001', 1) })).orderId,
        );
      }
      const finals = await Promise.all(placed.map((orderId) => env.shop.waitForTerminal(orderId, 30_000)));
      expect(finals.filter((order) => order.status !== 'shipped')).toEqual([]);
      const state = await env.shop.state();
      expect(state.charges).toHaveLength(placed.length);
      expect(state.shipments).toHaveLength(placed.length);
      expect(new Set(state.shipments.map((s) => s.orderId)).size).toBe(placed.length);
    } finally {
      await env.dispose();
    }
  });
});
