import { randomUUID } from 'node:crypto';
import { shopCatalog } from '../../../reference-services/events/catalog';
import { deadLetterHeaders } from '../../../reference-services/kit/dead-letter';
import { serviceNames } from '../../../reference-services/services';
import { collect, customers, items, shopUnderTest, type ShopUnderTest } from './shop-harness';

describe('poison messages on RabbitMQ', () => {
  let it_: ShopUnderTest;
  beforeAll(async () => {
    it_ = await shopUnderTest();
  });
  afterAll(async () => {
    await it_.dispose();
  });

  it('each poison class lands in the service DLQ with its reason while the service keeps consuming', async () => {
    const valid = shopCatalog.create('OrderPlaced', shopCatalog.require('OrderPlaced').example, {
      correlationId: randomUUID(),
      causationId: randomUUID(),
    });
    const classes: [string, string | Uint8Array][] = [
      ['invalid-json', '{"eventId": "trunc'],
      ['invalid-json', new Uint8Array([0xde, 0xad, 0xbe, 0xef])],
      ['invalid-envelope', JSON.stringify({ ...valid, correlationId: 42 })],
      ['unknown-event-type', JSON.stringify({ ...valid, eventType: 'OrderTeleported' })],
      ['unsupported-version', JSON.stringify({ ...valid, version: '9.0' })],
      ['invalid-payload', JSON.stringify({ ...valid, payload: { ...valid.payload, fraudScore: 'high' } })],
    ];
    const { shop, transport } = it_;
    for (const service of serviceNames) {
      for (const [, body] of classes) {
        await transport.publish('', { routingKey: shop.names.queue(service), body: Buffer.from(body) });
      }
    }
    // Valid traffic right behind the poison.
    const { orderId } = await shop.placeOrder({ customerId: customers.ada, items: items('BOOK-001', 1) });
    expect((await shop.waitForTerminal(orderId, 20_000)).status).toBe('shipped');
    for (const service of serviceNames) {
      const dead = await collect(transport, shop.names.deadLetterQueue(service), classes.length);
      const codes = dead.map((delivery) => delivery.headers[deadLetterHeaders.code]);
      const expected = classes.map(([code]) => code);
      // OrderPlaced is consumed only by payments; any other service dead-letters the valid-looking ones as unhandled.
      expect(codes.sort()).toEqual(expected.sort());
      for (const delivery of dead) {
        expect(String(delivery.headers[deadLetterHeaders.reason]).length).toBeGreaterThan(0);
        expect(delivery.headers[deadLetterHeaders.service]).toBe(service);
      }
      const payload = dead.find((delivery) => delivery.headers[deadLetterHeaders.code] === 'invalid-payload');
      expect(payload?.headers[deadLetterHeaders.path]).toBe('payload.fraudScore');
    }
  });
});
