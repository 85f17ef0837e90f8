import { parseKnownBug } from '../../../reference-services/kit/bugs';
import { ServiceError } from '../../../reference-services/kit/errors';
import { topologyNames } from '../../../reference-services/kit/topology';
import { parseServiceName } from '../../../reference-services/services';
import { readShopState } from '../../../reference-services/shop-state';
import { customers, drain, items, memoryShop, types } from './shop-fixture';

describe('reference shop flows on the MemoryStore', () => {
  it('happy path: placed → paid → reserved → shipped → confirmation, one charge', async () => {
    const shop = await memoryShop();
    const { orderId, correlationId } = await shop.placeOrder({
      customerId: customers.ada,
      items: items('BOOK-001', 2, 1250),
    });
    const { events } = await drain(shop);
    expect(types(events)).toEqual([
      'OrderPlaced',
      'PaymentCompleted',
      'InventoryReserved',
      'ShipmentScheduled',
      'CustomerNotified',
    ]);
    expect(events.every((event) => event.correlationId === correlationId)).toBe(true);
    // Each event is caused by the previous one.
    for (let i = 1; i < events.length; i++) expect(events[i]?.causationId).toBe(events[i - 1]?.eventId);
    const state = await readShopState(shop.store, orderId);
    expect(state.orders[0]?.status).toBe('shipped');
    expect(state.charges).toHaveLength(1);
    expect(state.charges[0]?.amount).toEqual({ amountMinor: 2500, currency: 'EUR' });
    expect(state.shipments[0]?.serviceLevel).toBe('standard');
    expect(state.notifications.map((n) => n.template)).toEqual(['order-confirmation']);
    const stock = (await readShopState(shop.store)).stock.find((row) => row.sku === 'BOOK-001');
    expect(stock).toEqual({ sku: 'BOOK-001', available: 8, reserved: 2 });
    expect(events[0]?.payload).toMatchObject({ customer: { isFirstOrder: true } });
  });

  it('premium customers get express shipping; a second order is not a first order', async () => {
    const shop = await memoryShop();
    await shop.placeOrder({ customerId: customers.premium, items: items('BOOK-001', 1) });
    await shop.placeOrder({ customerId: customers.premium, items: items('BOOK-001', 1) });
    const { events } = await drain(shop);
    const placed = events.filter((event) => event.eventType === 'OrderPlaced');
    expect(placed.map((event) => event.payload.customer.isFirstOrder)).toEqual([true, false]);
    const scheduled = events.filter((event) => event.eventType === 'ShipmentScheduled');
    expect(scheduled.map((event) => event.payload.serviceLevel)).toEqual(['express', 'express']);
    expect(scheduled[0]?.payload.estimatedDelivery).toBe('2026-01-02');
  });

  it('declined: PaymentFailed → OrderCancelled(payment_failed) → cancellation notice, nothing charged', async () => {
    const shop = await memoryShop({
      gatewayRules: { declines: [{ customerId: customers.bob, reason: 'insufficient_funds' }] },
    });
    const { orderId } = await shop.placeOrder({ customerId: customers.bob, items: items('BOOK-001', 1) });
    const { events } = await drain(shop);
    expect(types(events)).toEqual(['OrderPlaced', 'PaymentFailed', 'OrderCancelled', 'CustomerNotified']);
    expect(events[1]?.payload).toMatchObject({ reason: 'insufficient_funds' });
    expect(events[2]?.payload).toMatchObject({ reason: 'payment_failed' });
    expect(events[3]?.payload).toMatchObject({ template: 'order-cancelled' });
    const state = await readShopState(shop.store, orderId);
    expect(state.orders[0]?.status).toBe('cancelled');
    expect(state.charges.filter((charge) => charge.status === 'approved')).toHaveLength(0);
    expect(state.shipments).toHaveLength(0);
  });

  it('declines by amount', async () => {
    const shop = await memoryShop({
      gatewayRules: { declines: [{ minAmountMinor: 5000, reason: 'declined' }] },
    });
    await shop.placeOrder({ customerId: customers.ada, items: items('BOOK-001', 1, 4999) });
    await shop.placeOrder({ customerId: customers.ada, items: items('BOOK-001', 1, 5000) });
    const { events } = await drain(shop);
    expect(events.filter((event) => event.eventType === 'PaymentCompleted')).toHaveLength(1);
    expect(events.filter((event) => event.eventType === 'PaymentFailed')).toHaveLength(1);
  });

  it('fraud score above the threshold fails with fraud_suspected and never calls the gateway', async () => {
    const shop = await memoryShop();
    const { orderId } = await shop.placeOrder({
      customerId: customers.ada,
      items: items('BOOK-001', 1),
      fraudScore: 0.95,
    });
    const { events } = await drain(shop);
    expect(types(events)).toEqual(['OrderPlaced', 'PaymentFailed', 'OrderCancelled', 'CustomerNotified']);
    expect(events[1]?.payload).toMatchObject({ reason: 'fraud_suspected' });
    expect((await readShopState(shop.store, orderId)).charges).toHaveLength(0);
  });

  it('out of stock: InventoryReservationFailed → PaymentRefunded → OrderCancelled(out_of_stock)', async () => {
    const shop = await memoryShop();
    const { orderId } = await shop.placeOrder({ customerId: customers.ada, items: items('PEN-002', 4) });
    const { events } = await drain(shop);
    expect(types(events)).toEqual([
      'OrderPlaced',
      'PaymentCompleted',
      'InventoryReservationFailed',
      'PaymentRefunded',
      'OrderCancelled',
      'CustomerNotified',
    ]);
    expect(events[2]?.payload).toMatchObject({ shortages: [{ sku: 'PEN-002', requested: 4, available: 3 }] });
    expect(events[4]?.payload).toMatchObject({ reason: 'out_of_stock' });
    const state = await readShopState(shop.store, orderId);
    expect(state.orders[0]?.status).toBe('cancelled');
    expect(state.refunds.map((refund) => refund.status)).toEqual(['refunded']);
    expect(state.payments[0]?.status).toBe('refunded');
    const pen = (await readShopState(shop.store)).stock.find((row) => row.sku === 'PEN-002');
    expect(pen).toEqual({ sku: 'PEN-002', available: 3, reserved: 0 });
  });

  it('an unknown SKU is out of stock, and nothing of a partly available order is reserved', async () => {
    const shop = await memoryShop();
    await shop.placeOrder({
      customerId: customers.ada,
      items: [...items('BOOK-001', 1), ...items('NOPE-999', 1)],
    });
    const { events } = await drain(shop);
    expect(types(events)).toContain('InventoryReservationFailed');
    const book = (await readShopState(shop.store)).stock.find((row) => row.sku === 'BOOK-001');
    expect(book?.available).toBe(10);
  });

  it('refund refused: PaymentRefundFailed → needs_attention + OrderNeedsAttention, no loop, no cancel', async () => {
    const shop = await memoryShop({
      gatewayRules: { refundFailures: [{ customerId: customers.ada, reason: 'card expired' }] },
    });
    const { orderId } = await shop.placeOrder({ customerId: customers.ada, items: items('PEN-002', 9) });
    const { events } = await drain(shop);
    expect(types(events)).toEqual([
      'OrderPlaced',
      'PaymentCompleted',
      'InventoryReservationFailed',
      'PaymentRefundFailed',
      'OrderNeedsAttention',
    ]);
    const state = await readShopState(shop.store, orderId);
    expect(state.orders[0]).toMatchObject({
      status: 'needs_attention',
      reason: 'refund failed: card expired',
    });
    expect(state.payments[0]?.status).toBe('refund_failed');
  });

  it('placeOrder rejects bad commands naming what and where', async () => {
    const shop = await memoryShop();
    await expect(shop.placeOrder({ customerId: customers.ada, items: [] })).rejects.toMatchObject({
      code: 'invalid-command',
      message: expect.stringContaining('"items"') as unknown,
    });
    await expect(
      shop.placeOrder({ customerId: '0192f5a0-7c1e-7a3b-8d4e-ffffffffffff', items: items('BOOK-001', 1) }),
    ).rejects.toMatchObject({ code: 'unknown-customer' });
    await expect(
      shop.placeOrder({
        customerId: customers.ada,
        items: [
          ...items('BOOK-001', 1),
          { sku: 'PEN-002', quantity: 1, unitPrice: { amountMinor: 1, currency: 'USD' } },
        ],
      }),
    ).rejects.toMatchObject({ code: 'invalid-command' });
  });

  it('placing the same orderId twice writes nothing new', async () => {
    const shop = await memoryShop();
    const orderId = '0192f5a0-7c1e-7a3b-8d4e-123456789abc';
    const first = await shop.placeOrder({ orderId, customerId: customers.ada, items: items('BOOK-001', 1) });
    const second = await shop.placeOrder({ orderId, customerId: customers.ada, items: items('BOOK-001', 1) });
    expect(second).toMatchObject({
      orderId,
      created: false,
      correlationId: first.correlationId,
      emitted: [],
    });
    expect(await shop.store.outbox()).toHaveLength(1);
  });
});

describe('gateway rules as data', () => {
  it('parses valid rules and names the bad field of invalid ones', async () => {
    const { parseGatewayRules } = await import('../../../reference-services/payments/gateway');
    expect(parseGatewayRules({ declines: [{ minAmountMinor: 100, reason: 'declined' }] })).toEqual({
      declines: [{ minAmountMinor: 100, reason: 'declined' }],
    });
    expect(() => parseGatewayRules({ declines: [{ reason: 'stolen' }] }, 'rules.json')).toThrow(
      /rules\.json: invalid at "declines\.0\.reason"/,
    );
    let error: unknown;
    try {
      parseGatewayRules({ refundFailure: [] });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({
      code: 'invalid-config',
      message: expect.stringMatching(/invalid/) as unknown,
    });
  });
});

describe('seed as data', () => {
  it('parses a valid seed and names the bad field of an invalid one', async () => {
    const { parseShopSeed } = await import('../../../reference-services/shop-processors');
    const seed = parseShopSeed({
      stock: { 'BOOK-001': 3 },
      customers: [{ customerId: 'c1', tier: 'premium', email: 'c1@example.com' }],
    });
    expect(seed).toEqual({
      stock: { 'BOOK-001': 3 },
      customers: [{ customerId: 'c1', tier: 'premium', email: 'c1@example.com' }],
    });
    expect(() => parseShopSeed({ stock: { 'BOOK-001': -1 } }, 'seed.json')).toThrow(
      /seed\.json: invalid at "stock\.BOOK-001"/,
    );
    expect(() => parseShopSeed({ customers: [{ customerId: 'c', tier: 'gold', email: 'x@y.z' }] })).toThrow(
      /customers\.0\.tier/,
    );
  });
});

describe('bad configuration names', () => {
  it.each([
    ['a bug', () => parseKnownBug('no-such-bug'), /Unknown bug "no-such-bug"/],
    ['a service', () => parseServiceName('billing'), /Unknown service "billing"/],
    ['a namespace', () => topologyNames('Shop Name'), /namespace "Shop Name" must match/],
  ])('%s: ServiceError invalid-config naming it', (_what, parse, message) => {
    let error: unknown;
    try {
      parse();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toMatchObject({
      code: 'invalid-config',
      message: expect.stringMatching(message) as unknown,
    });
  });
});
