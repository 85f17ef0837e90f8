import { shopCatalog } from '../../../reference-services/events/catalog';
import { customers, items, memoryShop } from './shop-fixture';

describe('poison messages are rejected with a reason, never thrown or acked', () => {
  async function placedBody(): Promise<{ shop: Awaited<ReturnType<typeof memoryShop>>; event: object }> {
    const shop = await memoryShop();
    await shop.placeOrder({ customerId: customers.ada, items: items('BOOK-001', 1) });
    const [row] = await shop.store.outbox();
    return { shop, event: JSON.parse(row?.body ?? '{}') as object };
  }

  it.each([
    ['invalid JSON', () => '{"eventId": ', 'invalid-json', undefined],
    ['random bytes', () => new Uint8Array([0xff, 0x00, 0x13, 0x37]), 'invalid-json', undefined],
    [
      'invalid envelope',
      (e: object) => JSON.stringify({ ...e, eventId: 'nope' }),
      'invalid-envelope',
      'eventId',
    ],
    [
      'unknown type',
      (e: object) => JSON.stringify({ ...e, eventType: 'OrderTeleported' }),
      'unknown-event-type',
      undefined,
    ],
    [
      'unsupported version',
      (e: object) => JSON.stringify({ ...e, version: '2.0' }),
      'unsupported-version',
      undefined,
    ],
    [
      'invalid payload',
      (e: object) => {
        const event = e as { payload: { items: { quantity: number }[] } };
        const item = event.payload.items[0];
        if (item) item.quantity = -1;
        return JSON.stringify(event);
      },
      'invalid-payload',
      'payload.items.0.quantity',
    ],
  ])('%s → reject %s', async (_name, make, code, path) => {
    const { shop, event } = await placedBody();
    const outcome = await shop.processors.payments.process({ body: make(event) });
    expect(outcome).toMatchObject({ kind: 'reject', reason: { code } });
    if (outcome.kind === 'reject') {
      expect(outcome.reason.message.length).toBeGreaterThan(0);
      if (path) expect(outcome.reason.path).toBe(path);
    }
    // Nothing was written: no outgoing event beyond OrderPlaced, no charge.
    expect(await shop.store.outbox()).toHaveLength(1);
  });

  it('an event the service does not consume → reject unhandled-event-type', async () => {
    const { shop, event } = await placedBody();
    const outcome = await shop.processors.shipping.process({ body: JSON.stringify(event) });
    expect(outcome).toMatchObject({
      kind: 'reject',
      reason: { code: 'unhandled-event-type', eventType: 'OrderPlaced' },
    });
  });

  it('an event about an order orders never saw → reject unprocessable-event at once', async () => {
    const { shop } = await placedBody();
    const failed = shopCatalog.create(
      'PaymentFailed',
      { ...shopCatalog.require('PaymentFailed').example },
      {
        correlationId: '0192f5a0-7c1e-7a3b-8d4e-000000000001',
        causationId: '0192f5a0-7c1e-7a3b-8d4e-000000000002',
      },
    );
    const outcome = await shop.processors.orders.process({ body: JSON.stringify(failed) });
    expect(outcome).toMatchObject({ kind: 'reject', reason: { code: 'unprocessable-event', attempts: 1 } });
  });

  it('a handler that keeps throwing is retried with growing backoff, then dead-lettered', async () => {
    const { shop, event } = await placedBody();
    const body = JSON.stringify(event);
    shop.store.failNextCommits(3, new Error('disk on fire'));
    const outcomes = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      outcomes.push(await shop.processors.payments.process({ body, attempt }));
    }
    expect(outcomes.map((o) => (o.kind === 'retry' ? o.delayMs : o.kind))).toEqual([10, 20, 'reject']);
    expect(outcomes[2]).toMatchObject({
      kind: 'reject',
      reason: {
        code: 'handler-failed',
        attempts: 3,
        message: expect.stringContaining('disk on fire') as unknown,
      },
    });
  });

  it('a store outage is never dead-lettered: past the bound it keeps retrying at the slowest pace', async () => {
    const { shop, event } = await placedBody();
    const body = JSON.stringify(event);
    const outage = Object.assign(new Error('Connection terminated unexpectedly'), { code: '08006' });
    shop.store.failNextCommits(3, outage);
    const delays = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const outcome = await shop.processors.payments.process({ body, attempt });
      delays.push(outcome.kind === 'retry' ? outcome.delayMs : outcome.kind);
    }
    expect(delays).toEqual([10, 20, 100]);
    // Once the store is back, the redelivery goes through.
    expect(await shop.processors.payments.process({ body, attempt: 4 })).toMatchObject({
      kind: 'ack',
      status: 'handled',
    });
  });

  it('a huge payload is rejected, not crashed on', async () => {
    const { shop, event } = await placedBody();
    const huge = JSON.stringify({ ...event, payload: { blob: 'x'.repeat(5_000_000) } });
    const outcome = await shop.processors.payments.process({ body: huge });
    expect(outcome).toMatchObject({ kind: 'reject', reason: { code: 'invalid-payload' } });
  });
});
