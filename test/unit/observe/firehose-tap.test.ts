import { troupeEnvelopeAdapter } from '../../../harness/events/envelope-adapter';
import { newEventId } from '../../../harness/events/event-id';
import { FIREHOSE_EXCHANGE, fromFirehose, startFirehoseTap } from '../../../harness/observe/firehose-tap';
import { EventLog } from '../../../harness/observe/event-log';
import { InMemoryTransport } from '../../../harness/transport/memory/in-memory-transport';
import type { Delivery, Transport } from '../../../harness/transport/transport';
import { troupeMessage } from './fixtures';

/** What RabbitMQ's firehose publishes for a delivery (shape captured from RabbitMQ 3.10). */
function firehoseMessage(kind: 'deliver' | 'publish', name: string, redelivered: 0 | 1): Delivery {
  const original = troupeMessage('OrderPlaced', 'orders.order.placed', newEventId(), newEventId());
  return {
    exchange: FIREHOSE_EXCHANGE,
    queue: 'troupe.firehose.x',
    routingKey: `${kind}.${name}`,
    body: original.body,
    deliveryTag: 7,
    redelivered: false,
    headers: {
      exchange_name: 'shop.events',
      routing_keys: ['orders.order.placed'],
      properties: { message_id: original.eventId, correlation_id: 'c-1', headers: { 'x-k': 'v' } },
      node: 'rabbit@localhost',
      ...(kind === 'deliver' ? { redelivered } : { routed_queues: ['shop.payments'] }),
    },
  };
}

describe('firehose tap', () => {
  it('turns firehose messages back into the deliveries they report', () => {
    const delivered = fromFirehose(firehoseMessage('deliver', 'shop.payments', 1));
    expect(delivered).toMatchObject({
      queue: 'shop.payments',
      exchange: 'shop.events',
      routingKey: 'orders.order.placed',
      redelivered: true,
      headers: { 'x-k': 'v' },
      correlationId: 'c-1',
      deliveryTag: 7,
    });
    expect(fromFirehose(firehoseMessage('publish', 'shop.events', 0))).toMatchObject({
      queue: 'publish:shop.events',
      redelivered: false,
    });
    const log = new EventLog({ adapter: troupeEnvelopeAdapter() });
    expect(log.record(fromFirehose(firehoseMessage('deliver', 'q', 0))).identity?.eventType).toBe(
      'OrderPlaced',
    );
  });

  it('turns tracing on only when it was off, and restores it on stop', async () => {
    const calls: string[] = [];
    const fake = (tracing: boolean) => (_command: string, args: readonly string[]) => {
      calls.push(args.join(' '));
      return Promise.resolve(args.includes('list_vhosts') ? `other\tfalse\n/\t${tracing}\n` : '');
    };
    const transport = new InMemoryTransport();
    await transport.declare({ exchanges: [{ name: FIREHOSE_EXCHANGE, type: 'topic' }], queues: [] });
    const off = await startFirehoseTap({
      transport,
      adapter: troupeEnvelopeAdapter(),
      queues: ['shop.*'],
      rabbitmqctl: { run: fake(false) },
    });
    await off.stop();
    await off.stop();
    expect(calls).toEqual(['-q list_vhosts name tracing', '-q trace_on -p /', '-q trace_off -p /']);

    calls.length = 0;
    const on = await startFirehoseTap({
      transport,
      adapter: troupeEnvelopeAdapter(),
      queues: ['shop.*'],
      rabbitmqctl: { run: fake(true) },
    });
    await on.stop();
    expect(calls).toEqual(['-q list_vhosts name tracing']);
    await transport.close();
  });

  it('restores tracing on stop even when closing the consumer fails', async () => {
    const calls: string[] = [];
    const bus = new InMemoryTransport();
    await bus.declare({ exchanges: [{ name: FIREHOSE_EXCHANGE, type: 'topic' }], queues: [] });
    const transport: Transport = {
      declare: (topology) => bus.declare(topology),
      publish: (exchange, message) => bus.publish(exchange, message),
      close: () => bus.close(),
      consume: async (queue, handler, options) => {
        const subscription = await bus.consume(queue, handler, options);
        return {
          close: async () => {
            await subscription.close();
            throw new Error('channel already closed');
          },
        };
      },
    };
    const tap = await startFirehoseTap({
      transport,
      adapter: troupeEnvelopeAdapter(),
      queues: ['shop.*'],
      rabbitmqctl: {
        run: (_command, args) => {
          calls.push(args.join(' '));
          return Promise.resolve(args.includes('list_vhosts') ? '/\tfalse\n' : '');
        },
      },
    });
    await expect(tap.stop()).rejects.toThrow('channel already closed');
    expect(calls).toEqual(['-q list_vhosts name tracing', '-q trace_on -p /', '-q trace_off -p /']);
    await bus.close();
  });

  it('refuses to watch nothing', async () => {
    await expect(
      startFirehoseTap({ transport: new InMemoryTransport(), adapter: troupeEnvelopeAdapter(), queues: [] }),
    ).rejects.toThrow(/watch at least one queue or exchange/);
  });
});
