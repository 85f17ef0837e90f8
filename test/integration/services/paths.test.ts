import { eventually } from '../../../harness/assert';
import { shopCatalog } from '../../../reference-services/events/catalog';
import { consumersOf } from '../../../reference-services/services';
import type { RuntimeRecord } from '../../../reference-services/kit/service-runtime';
import { customers, items, shopUnderTest, type ShopUnderTest } from './shop-harness';

describe('reference shop on RabbitMQ + PostgreSQL', () => {
  let it_: ShopUnderTest;
  const records: RuntimeRecord[] = [];
  beforeAll(async () => {
    it_ = await shopUnderTest({ onRecord: (record) => records.push(record) });
  });
  afterAll(async () => {
    await it_.dispose();
  });

  async function chain(correlationId: string): Promise<string[]> {
    return (await it_.store.outbox())
      .filter((row) => row.correlationId === correlationId)
      .map((row) => row.eventType);
  }

  it('runs every path end to end, then absorbs a duplicate of every consumed event', async () => {
    const { shop } = it_;
    const orders = await Promise.all([
      shop.placeOrder({ customerId: customers.ada, items: items('BOOK-001', 2) }),
      shop.placeOrder({ customerId: customers.premium, items: items('BOOK-001', 1) }),
      shop.placeOrder({ customerId: customers.bob, items: items('BOOK-001', 1) }),
      shop.placeOrder({ customerId: customers.ada, items: items('BOOK-001', 1), fraudScore: 0.99 }),
      shop.placeOrder({ customerId: customers.ada, items: items('PEN-002', 5) }),
      shop.placeOrder({ customerId: customers.refusal, items: items('PEN-002', 5) }),
    ]);
    const finals = await Promise.all(orders.map((order) => shop.waitForTerminal(order.orderId, 20_000)));
    expect(finals.map((order) => order.status)).toEqual([
      'shipped',
      'shipped',
      'cancelled',
      'cancelled',
      'cancelled',
      'needs_attention',
    ]);
    const [happy, premium, declined, fraud, outOfStock, refundFailed] = orders.map((o) => o.correlationId);
    // Terminal order status comes before the last notification: wait for the outbox to settle.
    const settle = async (id: string | undefined, expected: string[]) => {
      const events = await eventually(
        async () => {
          const events = await chain(id ?? '');
          return events.length >= expected.length && events;
        },
        { within: 10_000, description: `flow ${id} to have ${expected.join(' → ')}` },
      );
      expect(events).toEqual(expected);
    };
    await settle(happy, [
      'OrderPlaced',
      'PaymentCompleted',
      'InventoryReserved',
      'ShipmentScheduled',
      'CustomerNotified',
    ]);
    await settle(premium, [
      'OrderPlaced',
      'PaymentCompleted',
      'InventoryReserved',
      'ShipmentScheduled',
      'CustomerNotified',
    ]);
    await settle(declined, ['OrderPlaced', 'PaymentFailed', 'OrderCancelled', 'CustomerNotified']);
    await settle(fraud, ['OrderPlaced', 'PaymentFailed', 'OrderCancelled', 'CustomerNotified']);
    await settle(outOfStock, [
      'OrderPlaced',
      'PaymentCompleted',
      'InventoryReservationFailed',
      'PaymentRefunded',
      'OrderCancelled',
      'CustomerNotified',
    ]);
    await settle(refundFailed, [
      'OrderPlaced',
      'PaymentCompleted',
      'InventoryReservationFailed',
      'PaymentRefundFailed',
      'OrderNeedsAttention',
    ]);
    const state = await shop.state();
    expect(state.shipments.find((s) => s.orderId === orders[1]?.orderId)?.serviceLevel).toBe('express');
    expect(state.stock.find((s) => s.sku === 'PEN-002')).toEqual({
      sku: 'PEN-002',
      available: 3,
      reserved: 0,
    });
    expect(state.charges.filter((c) => c.status === 'approved')).toHaveLength(4);

    // Duplicate delivery of every consumed event: re-publish every outbox row as it was.
    const before = await shop.state();
    const rows = await it_.store.outbox();
    const expectedDuplicates = rows.reduce((sum, row) => sum + consumersOf(row.eventType).length, 0);
    const duplicatesBefore = records.filter(
      (r) => r.outcome.kind === 'ack' && r.outcome.status === 'duplicate',
    ).length;
    for (const row of rows) {
      await it_.transport.publish(shop.names.exchange, {
        routingKey: shopCatalog.require(row.eventType as 'OrderPlaced').routingKey,
        body: Buffer.from(row.body),
        messageId: row.eventId,
      });
    }
    const duplicates = () =>
      records.filter((r) => r.outcome.kind === 'ack' && r.outcome.status === 'duplicate').length -
      duplicatesBefore;
    await eventually(() => duplicates() >= expectedDuplicates, {
      within: 15_000,
      description: `${expectedDuplicates} duplicate deliveries to be acked`,
    });
    expect(duplicates()).toBe(expectedDuplicates);
    expect(await shop.state()).toEqual(before);
    expect((await it_.store.outbox()).length).toBe(rows.length);
  });
});
