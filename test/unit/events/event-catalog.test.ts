import { z } from 'zod';
import { defineEvent } from '../../../harness/events/define-event';
import { EventCatalog } from '../../../harness/events/event-catalog';
import { EventDecodeError } from '../../../harness/events/decode-error';
import { troupeEnvelopeAdapter } from '../../../harness/events/envelope-adapter';
import { shopCatalog, OrderPlaced } from '../../../reference-services/events/catalog';

const flow = {
  correlationId: '0192f5a0-7c1e-7a3b-8d4e-000000000001',
  causationId: '0192f5a0-7c1e-7a3b-8d4e-000000000002',
};

function placed() {
  return shopCatalog.create('OrderPlaced', OrderPlaced.example, flow);
}

describe('EventCatalog.create', () => {
  it('wraps a valid payload in an envelope with a time-ordered uuid v7 and the flow ids', () => {
    const first = placed();
    const second = placed();
    expect(first.eventType).toBe('OrderPlaced');
    expect(first.version).toBe(OrderPlaced.version);
    expect(first.correlationId).toBe(flow.correlationId);
    expect(first.causationId).toBe(flow.causationId);
    expect(first.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(first.eventId < second.eventId).toBe(true);
  });

  it('refuses to create an event whose payload breaks the schema, naming the field', () => {
    const bad = { ...OrderPlaced.example, fraudScore: 7 };
    expect(() => shopCatalog.create('OrderPlaced', bad, flow)).toThrow(/payload\.fraudScore/);
    expect(() => shopCatalog.create('OrderPlaced', bad, flow)).toThrow(EventDecodeError);
  });
});

describe('EventCatalog.decode', () => {
  it('refuses a body that is not valid UTF-8 instead of accepting replacement characters', () => {
    const bytes = Buffer.from(JSON.stringify(placed()));
    bytes[bytes.indexOf('Lovelace')] = 0xff; // inside a string: JSON.parse alone would accept it
    expect(shopCatalog.decode(bytes)).toEqual({
      ok: false,
      error: { code: 'invalid-json', message: 'Message body is not valid UTF-8' },
    });
  });

  it('round-trips an event through its JSON bytes', () => {
    const event = placed();
    const result = shopCatalog.decode(Buffer.from(JSON.stringify(event)));
    expect(result).toEqual({ ok: true, event });
  });

  it.each([
    ['invalid-json', '{"eventId": "trunc', undefined],
    ['invalid-envelope', JSON.stringify({ ...placed(), eventId: 'not-a-uuid' }), 'eventId'],
    ['unknown-event-type', JSON.stringify({ ...placed(), eventType: 'OrderTeleported' }), undefined],
    ['unsupported-version', JSON.stringify({ ...placed(), version: '2.0' }), undefined],
    [
      'invalid-payload',
      JSON.stringify({
        ...placed(),
        payload: { ...OrderPlaced.example, items: [{ sku: 'BOOK-001', quantity: 0 }] },
      }),
      'payload.items.0.quantity',
    ],
  ])('reports %s with a code and the path, never throwing', (code, body, path) => {
    const result = shopCatalog.decode(body);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe(code);
    if (path) expect(result.error.path).toBe(path);
    expect(result.error.message.length).toBeGreaterThan(10);
  });

  it('accepts a newer minor version of a known major (additive change) and strips unknown fields', () => {
    const event = { ...placed(), version: '1.7', payload: { ...OrderPlaced.example, giftWrap: true } };
    const result = shopCatalog.decode(JSON.stringify(event));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.event.payload).not.toHaveProperty('giftWrap');
  });
});

describe('defineEvent', () => {
  it('fails at definition time when the example does not match the schema', () => {
    expect(() =>
      defineEvent({
        type: 'Thing',
        version: '1.0',
        producer: 'x',
        routingKey: 'x.thing',
        description: 'x',
        payload: z.object({ n: z.number().int() }),
        example: { n: 1.5 },
      }),
    ).toThrow(/example does not match/);
  });

  it('rejects duplicate event types in one catalog', () => {
    expect(() => new EventCatalog([OrderPlaced, OrderPlaced])).toThrow(/duplicate event type OrderPlaced/);
  });
});

describe('troupeEnvelopeAdapter', () => {
  it('reads identity and business key from a Troupe envelope and ignores non-events', () => {
    const event = placed();
    const adapter = troupeEnvelopeAdapter('orderId');
    const base = { routingKey: 'orders.order.placed', headers: {} };
    expect(adapter.read({ ...base, body: Buffer.from(JSON.stringify(event)) })).toMatchObject({
      eventId: event.eventId,
      eventType: 'OrderPlaced',
      correlationId: flow.correlationId,
      causationId: flow.causationId,
      businessKey: OrderPlaced.example.orderId,
    });
    expect(adapter.read({ ...base, body: Buffer.from('garbage') })).toBeUndefined();
    expect(adapter.read({ ...base, body: Buffer.from('{"hello":1}') })).toBeUndefined();
  });
});
