import { shopCatalog } from '../../../reference-services/events/catalog';
import {
  ensureOrder,
  pathsProducing,
  produceEvent,
  runConsumerStep,
  runPath,
  runProducerStep,
  verificationCustomers,
} from '../../../reference-services/verification';

describe('verification helpers (real code paths for contract tests)', () => {
  it('every event type is produced by its declared producer on its declared path', async () => {
    for (const type of shopCatalog.types()) {
      const paths = pathsProducing[type as keyof typeof pathsProducing];
      for (const path of paths) {
        const event = await produceEvent(type as keyof typeof pathsProducing, path);
        expect(event.eventType).toBe(type);
        expect(shopCatalog.decode(JSON.stringify(event)).ok).toBe(true);
      }
    }
  });

  it('paths produce the documented chains, deterministically', async () => {
    const refund = await runPath('refund-failed');
    expect(refund.map((event) => event.eventType)).toEqual([
      'OrderPlaced',
      'PaymentCompleted',
      'InventoryReservationFailed',
      'PaymentRefundFailed',
      'OrderNeedsAttention',
    ]);
    expect(await runPath('refund-failed')).toEqual(refund);
  });

  it('runProducerStep returns exactly the outbox rows of the step', async () => {
    const placed = await runProducerStep({
      placeOrder: {
        customerId: verificationCustomers.standard,
        items: [{ sku: 'BOOK-001', quantity: 1, unitPrice: { amountMinor: 100, currency: 'EUR' } }],
      },
    });
    expect(placed.events.map((event) => event.eventType)).toEqual(['OrderPlaced']);
    const paid = await runProducerStep({ service: 'payments', message: placed.events[0] ?? '' });
    expect(paid.outcome).toMatchObject({ kind: 'ack', status: 'handled' });
    expect(paid.events.map((event) => event.eventType)).toEqual(['PaymentCompleted']);
    expect(paid.outbox[0]?.routingKey).toBe('payments.payment.completed');
  });

  it('runConsumerStep runs a consumer on a catalog example, with a provider state when it needs one', async () => {
    const example = shopCatalog.create('PaymentFailed', shopCatalog.require('PaymentFailed').example, {
      correlationId: '0192f5a0-7c1e-7a3b-8d4e-000000000001',
      causationId: '0192f5a0-7c1e-7a3b-8d4e-000000000002',
    });
    const without = await runConsumerStep('orders', example);
    expect(without.outcome).toMatchObject({ kind: 'reject', reason: { code: 'unprocessable-event' } });
    const withOrder = await runConsumerStep('orders', example, ensureOrder(example.payload.orderId));
    expect(withOrder.outcome).toMatchObject({ kind: 'ack', status: 'handled' });
    expect(withOrder.emitted.map((event) => event.eventType)).toEqual(['OrderCancelled']);
    const poison = await runConsumerStep('orders', '{"nope"');
    expect(poison.outcome).toMatchObject({ kind: 'reject', reason: { code: 'invalid-json' } });
  });
});
