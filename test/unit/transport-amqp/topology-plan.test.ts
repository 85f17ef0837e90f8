import { AmqpTransportError } from '../../../harness/transport/amqp/amqp-transport-error';
import { planTopology } from '../../../harness/transport/amqp/topology-plan';

describe('planTopology', () => {
  it('declares durable quorum service queues with a per-queue DLQ on the dead-letter exchange', () => {
    const plan = planTopology({
      exchanges: [{ name: 'shop.events', type: 'topic' }],
      queues: [
        { name: 'payments', exchange: 'shop.events', bindings: ['orders.#'], deadLetterExchange: 'shop.dlx' },
      ],
    });
    expect(plan.exchanges).toEqual([
      { exchange: 'shop.events', type: 'topic', durable: true },
      { exchange: 'shop.dlx', type: 'topic', durable: true },
    ]);
    expect(plan.queues).toEqual([
      {
        declaration: {
          queue: 'payments',
          durable: true,
          exclusive: false,
          autoDelete: false,
          arguments: {
            'x-queue-type': 'quorum',
            'x-dead-letter-exchange': 'shop.dlx',
            'x-dead-letter-routing-key': 'payments',
          },
        },
        exchanges: [{ exchange: 'shop.events', type: 'topic', durable: true }],
        bindings: [{ queue: 'payments', exchange: 'shop.events', routingKey: 'orders.#' }],
      },
      {
        declaration: {
          queue: 'payments.dlq',
          durable: true,
          exclusive: false,
          autoDelete: false,
          arguments: { 'x-queue-type': 'quorum' },
        },
        exchanges: [{ exchange: 'shop.dlx', type: 'topic', durable: true }],
        bindings: [{ queue: 'payments.dlq', exchange: 'shop.dlx', routingKey: 'payments' }],
      },
    ]);
  });

  it('declares exclusive taps as classic, non-durable, auto-delete', () => {
    const plan = planTopology({
      exchanges: [],
      queues: [{ name: 'tap.1', exchange: 'ext', bindings: ['#'], exclusive: true }],
    });
    expect(plan.queues[0]?.declaration).toEqual({
      queue: 'tap.1',
      durable: false,
      exclusive: true,
      autoDelete: true,
      arguments: {},
    });
    // `ext` is not in this topology: someone else's exchange is bound to, never re-declared.
    expect(plan.queues[0]?.exchanges).toEqual([]);
  });

  it('keeps a dead-letter exchange type the topology declares', () => {
    const plan = planTopology({
      exchanges: [
        { name: 'e', type: 'topic' },
        { name: 'dlx', type: 'direct' },
      ],
      queues: [{ name: 'q', exchange: 'e', bindings: ['a'], deadLetterExchange: 'dlx' }],
    });
    expect(plan.exchanges).toContainEqual({ exchange: 'dlx', type: 'direct', durable: true });
  });

  it.each([
    [{ exchanges: [{ name: '', type: 'topic' as const }], queues: [] }, /exchanges\[0\] name "" is invalid/],
    [{ exchanges: [], queues: [{ name: 'a b', exchange: 'e', bindings: [] }] }, /queues\[0\] name "a b"/],
    [
      { exchanges: [], queues: [{ name: 'q', exchange: 'e', bindings: ['a..b'] }] },
      /queues\[0\] \(q\)\.bindings\[0\] "a\.\.b"/,
    ],
    [
      {
        exchanges: [],
        queues: [{ name: 'q', exchange: 'e', bindings: [], exclusive: true, kind: 'quorum' as const }],
      },
      /quorum queue cannot be exclusive/,
    ],
  ])('rejects bad topology with invalid-topology naming where (%#)', (topology, message) => {
    let error: unknown;
    try {
      planTopology(topology);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AmqpTransportError);
    expect((error as AmqpTransportError).code).toBe('invalid-topology');
    expect((error as AmqpTransportError).message).toMatch(message);
  });
});
