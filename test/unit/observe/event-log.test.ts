import { troupeEnvelopeAdapter } from '../../../harness/events/envelope-adapter';
import { newEventId } from '../../../harness/events/event-id';
import { EventLog } from '../../../harness/observe/event-log';
import { ObserveError } from '../../../harness/observe/observe-error';
import { PgEventStore } from '../../../harness/observe/pg-event-store';
import { asDelivery, foreignAdapter, foreignMessage, troupeMessage } from './fixtures';

describe('EventLog', () => {
  const correlationId = newEventId();
  const command = newEventId();

  it('records every delivery, duplicates and redeliveries included, indexed by correlation, causation and id', () => {
    const log = new EventLog({ adapter: troupeEnvelopeAdapter() });
    const placed = troupeMessage('OrderPlaced', 'orders.order.placed', correlationId, command);
    const paid = troupeMessage(
      'PaymentCompleted',
      'payments.payment.completed',
      correlationId,
      placed.eventId,
    );
    log.record(asDelivery(placed, { deliveryTag: 1 }));
    log.record(asDelivery(placed, { deliveryTag: 2 })); // duplicate publication
    log.record(asDelivery(paid, { deliveryTag: 3, redelivered: true }));

    expect(log.size).toBe(3);
    expect(log.all().map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(log.byCorrelation(correlationId)).toHaveLength(3);
    expect(log.byEventId(placed.eventId).map((e) => e.deliveryTag)).toEqual([1, 2]);
    expect(log.byCausation(placed.eventId).map((e) => e.identity?.eventType)).toEqual(['PaymentCompleted']);
    expect(log.byCausation(placed.eventId)[0]?.redelivered).toBe(true);
    expect(log.correlationIds()).toEqual([correlationId]);
  });

  it('keeps unreadable messages as records without identity', () => {
    const log = new EventLog({ adapter: troupeEnvelopeAdapter() });
    log.record({ body: Buffer.from('not json'), routingKey: 'x.y', headers: {} });
    expect(log.size).toBe(1);
    expect(log.unreadable()).toHaveLength(1);
    expect(log.correlationIds()).toEqual([]);
  });

  it('records a message its adapter throws on as unreadable, rather than losing it', () => {
    const log = new EventLog({
      adapter: {
        read: () => {
          throw new SyntaxError('a foreign adapter that trusts its input');
        },
      },
    });
    const event = log.record({ body: Buffer.from('poison'), routingKey: 'x.y', headers: {} });
    expect(event.identity).toBeUndefined();
    expect(log.unreadable()).toEqual([event]);
  });

  it('reads foreign formats through the adapter it is given', () => {
    const log = new EventLog({ adapter: foreignAdapter });
    const first = foreignMessage('order.created', 'legacy.order', 'trace-1', undefined);
    log.record(asDelivery(first));
    log.record(asDelivery(foreignMessage('invoice.sent', 'billing.invoice', 'trace-1', first.id)));
    expect(log.byCorrelation('trace-1').map((e) => e.identity?.eventType)).toEqual([
      'order.created',
      'invoice.sent',
    ]);
    expect(log.byCausation(first.id)).toHaveLength(1);
    expect(log.byCorrelation('trace-1')[0]?.identity?.businessKey).toBe('ref-7');
  });

  it('notifies listeners synchronously; a throwing listener neither loses the record nor starves others', () => {
    const log = new EventLog({ adapter: troupeEnvelopeAdapter(), clock: () => 1000 });
    const seen: number[] = [];
    log.subscribe(() => {
      throw new Error('boom');
    });
    const unsubscribe = log.subscribe((event) => seen.push(event.seq));
    const message = troupeMessage('OrderPlaced', 'orders.order.placed', correlationId, command);
    let failure: unknown;
    try {
      log.record(asDelivery(message));
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(ObserveError);
    expect((failure as ObserveError).code).toBe('listener-failed');
    expect((failure as ObserveError).cause).toBeInstanceOf(Error);
    expect(seen).toEqual([1]);
    expect(log.all()[0]?.receivedAt).toBe(1000);
    unsubscribe();
    expect(() => log.record(asDelivery(message))).toThrow(ObserveError);
    expect(seen).toEqual([1]);
    expect(log.size).toBe(2);
  });
});

describe('PgEventStore arguments', () => {
  it('rejects a namespace that could not be a schema name, before connecting', async () => {
    await expect(PgEventStore.open({ namespace: 'bad-name; drop' })).rejects.toMatchObject({
      code: 'invalid-argument',
      message: expect.stringContaining(
        'namespace "bad-name; drop" must be 1-40 letters, digits or underscores',
      ) as unknown,
    });
  });
});
