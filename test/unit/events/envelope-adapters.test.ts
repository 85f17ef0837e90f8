import { amqpPropertiesAdapter } from '../../../harness/events/amqp-properties-adapter';
import { cloudEventsAdapter } from '../../../harness/events/cloudevents-adapter';
import type { AdaptedMessage } from '../../../harness/events/envelope-adapter';
import { jsonPathsAdapter } from '../../../harness/events/json-paths-adapter';
import { adapterFromConfig } from '../../../harness/target/adapter-from-config';

const bytes = (value: unknown): Uint8Array =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
const message = (body: unknown, extra: Partial<AdaptedMessage> = {}): AdaptedMessage => ({
  body: bytes(body),
  routingKey: 'orders',
  headers: {},
  ...extra,
});

describe('jsonPathsAdapter', () => {
  const adapter = jsonPathsAdapter({ type: 'event', key: 'data.orderId' });

  it('reads a format without ids: a synthetic id per delivery, key as correlation, whole body as payload', () => {
    const body = { event: 'PaymentProcessed', data: { orderId: 'o-1', amount: 5 } };
    const first = adapter.read(message(body));
    const second = adapter.read(message(body));
    expect(first).toMatchObject({
      eventType: 'PaymentProcessed',
      syntheticId: true,
      correlationId: 'o-1',
      businessKey: 'o-1',
      payload: body,
    });
    // Two identical publications stay two.
    expect(first?.eventId).not.toBe(second?.eventId);
  });

  it('reads ids, correlation and the type from AMQP fields with $ paths', () => {
    const reader = jsonPathsAdapter({
      type: '$type',
      id: '$messageId',
      correlation: '$headers.x-corr',
      key: 'orderId',
    });
    expect(
      reader.read(
        message({ orderId: 7 }, { type: 'OrderPlaced', messageId: 'm-1', headers: { 'x-corr': 'c-1' } }),
      ),
    ).toMatchObject({ eventId: 'm-1', eventType: 'OrderPlaced', correlationId: 'c-1', businessKey: '7' });
    expect(
      reader.read(message({ orderId: 7 }, { type: 'OrderPlaced', messageId: 'm-1' }))?.syntheticId,
    ).toBeUndefined();
  });

  it('a body that is not JSON, or has no type, is unreadable', () => {
    expect(adapter.read(message('not json {'))).toBeUndefined();
    expect(adapter.read(message({ data: {} }))).toBeUndefined();
  });
});

describe('cloudEventsAdapter', () => {
  const adapter = cloudEventsAdapter({ key: 'data.orderId' });

  it('structured mode: the body is the event', () => {
    const event = {
      specversion: '1.0',
      id: 'e-1',
      type: 'com.shop.order.placed',
      source: '/orders',
      correlationid: 'c-9',
      data: { orderId: 'o-2' },
    };
    expect(
      adapter.read(message(event, { contentType: 'application/cloudevents+json; charset=utf-8' })),
    ).toMatchObject({
      eventId: 'e-1',
      eventType: 'com.shop.order.placed',
      correlationId: 'c-9',
      businessKey: 'o-2',
    });
  });

  it('binary mode: attributes in application properties (cloudEvents: and cloudEvents_), data in the body', () => {
    for (const prefix of ['cloudEvents:', 'cloudEvents_']) {
      const identity = adapter.read(
        message(
          { orderId: 'o-3' },
          {
            contentType: 'application/json',
            headers: {
              [`${prefix}specversion`]: '1.0',
              [`${prefix}id`]: 'e-2',
              [`${prefix}type`]: 'paid',
              [`${prefix}source`]: '/p',
            },
          },
        ),
      );
      expect(identity).toMatchObject({
        eventId: 'e-2',
        eventType: 'paid',
        businessKey: 'o-3',
        correlationId: 'o-3',
      });
      expect(identity?.payload).toMatchObject({
        data: { orderId: 'o-3' },
        datacontenttype: 'application/json',
      });
    }
  });

  it('neither mode is unreadable; an event without id gets a synthetic one', () => {
    expect(adapter.read(message({ hello: 'world' }))).toBeUndefined();
    expect(adapter.read(message({ specversion: '1.0', type: 't', data: {} }))?.syntheticId).toBe(true);
  });
});

describe('amqpPropertiesAdapter', () => {
  it('reads message-id, type, correlation-id and x-causation-id', () => {
    const adapter = amqpPropertiesAdapter({ key: 'orderId' });
    expect(
      adapter.read(
        message(
          { orderId: 'o-4' },
          { type: 'Shipped', messageId: 'm', correlationId: 'c', headers: { 'x-causation-id': 'p' } },
        ),
      ),
    ).toMatchObject({
      eventId: 'm',
      eventType: 'Shipped',
      correlationId: 'c',
      causationId: 'p',
      businessKey: 'o-4',
    });
    expect(adapter.read(message({ orderId: 'o-4' }))).toBeUndefined(); // no type property
  });
});

describe('adapterFromConfig', () => {
  it('fills the business key from the flow key when the preset has none', () => {
    const adapter = adapterFromConfig('amqp-properties', 'orderId');
    expect(adapter.read(message({ orderId: 'o-5' }, { type: 'T' }))).toMatchObject({
      businessKey: 'o-5',
      correlationId: 'o-5',
    });
  });

  it('takes a function', () => {
    const adapter = adapterFromConfig((m) => ({ eventId: 'x', eventType: m.routingKey, correlationId: 'c' }));
    expect(adapter.read(message({}))?.eventType).toBe('orders');
  });
});
