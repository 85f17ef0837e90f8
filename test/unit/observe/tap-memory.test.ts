import { troupeEnvelopeAdapter } from '../../../harness/events/envelope-adapter';
import { newEventId } from '../../../harness/events/event-id';
import { flow } from '../../../harness/assert/flow';
import { EventLog } from '../../../harness/observe/event-log';
import { recordingHandler, startTap } from '../../../harness/observe/tap';
import { InMemoryTransport } from '../../../harness/transport/memory/in-memory-transport';
import { troupeMessage } from './fixtures';

describe('tap on the in-memory transport (same port as RabbitMQ)', () => {
  it('binds with # and records every publication, duplicates included, until stopped', async () => {
    const transport = new InMemoryTransport();
    const tap = await startTap({
      transport,
      exchange: 'shop',
      adapter: troupeEnvelopeAdapter(),
      queue: 'tap',
    });
    const correlationId = newEventId();
    const placed = troupeMessage('OrderPlaced', 'orders.order.placed', correlationId, newEventId());
    const reaching = flow(tap.log, correlationId).toReach('PaymentCompleted', { within: 5000 });
    await transport.publish('shop', placed);
    await transport.publish('shop', placed);
    await transport.publish(
      'shop',
      troupeMessage('PaymentCompleted', 'payments.payment.completed', correlationId, placed.eventId),
    );
    expect((await reaching).identity.causationId).toBe(placed.eventId);
    expect(tap.log.byEventId(placed.eventId)).toHaveLength(2);
    expect(tap.log.all().every((e) => e.source === 'tap' && e.exchange === 'shop')).toBe(true);
    await tap.stop();
    await tap.stop(); // idempotent
    await transport.close();
  });

  it('recordingHandler records a consumer’s redelivery, then lets the handler decide', async () => {
    const transport = new InMemoryTransport();
    await transport.declare({
      exchanges: [{ name: 'shop', type: 'topic' }],
      queues: [{ name: 'payments', exchange: 'shop', bindings: ['orders.#'] }],
    });
    const log = new EventLog({ adapter: troupeEnvelopeAdapter() });
    const outcomes: ('ack' | 'requeue')[] = ['requeue', 'ack'];
    await transport.consume(
      'payments',
      recordingHandler(log, () => Promise.resolve(outcomes.shift() ?? 'ack')),
    );
    const correlationId = newEventId();
    await transport.publish(
      'shop',
      troupeMessage('OrderPlaced', 'orders.order.placed', correlationId, newEventId()),
    );
    await transport.whenIdle();
    expect(log.byCorrelation(correlationId).map((e) => [e.source, e.redelivered])).toEqual([
      ['payments', false],
      ['payments', true],
    ]);
    await transport.close();
  });

  it('reports a listener failure without losing or blocking the delivery', async () => {
    const transport = new InMemoryTransport();
    const errors: unknown[] = [];
    const tap = await startTap({
      transport,
      exchange: 'shop',
      adapter: troupeEnvelopeAdapter(),
      onError: (error) => errors.push(error),
    });
    tap.log.subscribe(() => {
      throw new Error('listener bug');
    });
    await transport.publish(
      'shop',
      troupeMessage('OrderPlaced', 'orders.order.placed', newEventId(), newEventId()),
    );
    await transport.whenIdle();
    expect(tap.log.size).toBe(1);
    expect(errors).toHaveLength(1);
    expect(transport.pendingCount()).toBe(0);
    await tap.stop();
    await transport.close();
  });

  it('needs an adapter or a log', async () => {
    await expect(startTap({ transport: new InMemoryTransport(), exchange: 'x' })).rejects.toMatchObject({
      code: 'invalid-argument',
    });
  });
});
