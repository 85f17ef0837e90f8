import { eventually } from '../../../harness/assert';
import { InMemoryTransport } from '../../../harness/transport/memory/in-memory-transport';
import type { Transport } from '../../../harness/transport/transport';
import { deadLetterHeaders } from '../../../reference-services/kit/dead-letter';
import { MemoryStore } from '../../../reference-services/kit/memory-store';
import type { RuntimeRecord } from '../../../reference-services/kit/service-runtime';
import { startShop, type StartShopOptions } from '../../../reference-services/shop';
import { address, customers, items } from './shop-fixture';

/** The shop on the in-memory transport and store: the runtime, relay and DLQ path without a broker. */
async function memoryRuntimeShop(options: Partial<StartShopOptions> = {}) {
  const transport = new InMemoryTransport();
  const store = new MemoryStore();
  const records: RuntimeRecord[] = [];
  const shop = await startShop({
    transport,
    store,
    namespace: 'unit',
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    gatewayRules: { declines: [{ customerId: customers.bob, reason: 'declined' }] },
    seed: {
      customers: [
        { customerId: customers.ada, tier: 'standard', email: 'ada@example.com', address },
        { customerId: customers.bob, tier: 'standard', email: 'bob@example.com', address },
      ],
      stock: { 'BOOK-001': 100, 'PEN-002': 1 },
    },
    onRecord: (record) => records.push(record),
    ...options,
  });
  return { shop, transport, store, records };
}

/** Collects what lands in a DLQ until `count` messages are there. */
async function deadLetters(transport: InMemoryTransport, queue: string, count: number) {
  const got: Record<string, unknown>[] = [];
  let done!: () => void;
  const enough = new Promise<void>((resolve) => (done = resolve));
  const subscription = await transport.consume(queue, (delivery) => {
    got.push(delivery.headers);
    if (got.length >= count) done();
    return Promise.resolve('ack');
  });
  await enough;
  await subscription.close();
  return got;
}

describe.each([1, 16])('startShop on the in-memory transport (batchSize %i)', (batchSize) => {
  it('runs happy, declined and out-of-stock flows to their terminal state', async () => {
    const { shop, transport } = await memoryRuntimeShop({ batchSize });
    try {
      const placed = await Promise.all([
        shop.placeOrder({ customerId: customers.ada, items: items('BOOK-001', 1) }),
        shop.placeOrder({ customerId: customers.bob, items: items('BOOK-001', 1) }),
        shop.placeOrder({ customerId: customers.ada, items: items('PEN-002', 2) }),
      ]);
      const finals = await Promise.all(placed.map((order) => shop.waitForTerminal(order.orderId, 10_000)));
      expect(finals.map((order) => [order.status, order.reason])).toEqual([
        ['shipped', null],
        ['cancelled', 'declined'],
        ['cancelled', 'out_of_stock'],
      ]);
    } finally {
      await shop.stop();
      await transport.close();
    }
  });

  it('dead-letters poison with reason headers and keeps consuming', async () => {
    const { shop, transport } = await memoryRuntimeShop({ batchSize });
    try {
      await transport.publish('', { routingKey: shop.names.queue('payments'), body: Buffer.from('{"x":') });
      await transport.publish('', {
        routingKey: shop.names.queue('payments'),
        body: Buffer.from(JSON.stringify({ eventId: 'nope' })),
      });
      const { orderId } = await shop.placeOrder({ customerId: customers.ada, items: items('BOOK-001', 1) });
      expect((await shop.waitForTerminal(orderId, 10_000)).status).toBe('shipped');
      const headers = await deadLetters(transport, shop.names.deadLetterQueue('payments'), 2);
      expect(headers.map((h) => h[deadLetterHeaders.code]).sort()).toEqual([
        'invalid-envelope',
        'invalid-json',
      ]);
      expect(headers.every((h) => h[deadLetterHeaders.service] === 'payments')).toBe(true);
    } finally {
      await shop.stop();
      await transport.close();
    }
  });
});

describe('ServiceRuntime retry and known bugs on the in-memory transport', () => {
  it.each([1, 16])(
    'an onRecord that throws requeues the delivery instead of leaving it unsettled (batchSize %i)',
    async (batchSize) => {
      let thrown = 0;
      const settled: RuntimeRecord[] = [];
      const { shop, transport } = await memoryRuntimeShop({
        batchSize,
        onRecord: (record) => {
          if (record.service === 'payments' && thrown++ === 0) throw new Error('logging failed');
          settled.push(record);
        },
      });
      const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        const { orderId } = await shop.placeOrder({ customerId: customers.ada, items: items('BOOK-001', 1) });
        expect((await shop.waitForTerminal(orderId, 10_000)).status).toBe('shipped');
        // The transport requeued it (the handler threw); its redelivery is a duplicate and acked.
        await eventually(
          () =>
            transport.stats().requeued === 1 &&
            settled.some((r) => r.service === 'payments' && r.settled === 'ack' && r.delivery.redelivered),
          { within: 5_000, description: 'the failed delivery to be requeued, redelivered and acked' },
        );
      } finally {
        errors.mockRestore();
        await shop.stop();
        await transport.close();
      }
    },
  );

  it('a handler failing past the bound is dead-lettered with handler-failed and its attempts', async () => {
    const { shop, transport, store, records } = await memoryRuntimeShop();
    try {
      // The order commits, then every payments transaction fails: 3 tries, then the DLQ.
      const { orderId } = await shop.placeOrder({ customerId: customers.ada, items: items('BOOK-001', 1) });
      store.failNextCommits(3);
      const [headers] = await deadLetters(transport, shop.names.deadLetterQueue('payments'), 1);
      expect(headers?.[deadLetterHeaders.code]).toBe('handler-failed');
      expect(headers?.[deadLetterHeaders.attempts]).toBe(3);
      expect(records.find((r) => r.service === 'payments')).toMatchObject({
        settled: 'ack',
        outcome: { kind: 'reject' },
      });
      expect((await shop.order(orderId))?.status).toBe('placed');
    } finally {
      await shop.stop();
      await transport.close();
    }
  });

  it('ack-before-commit acks the delivery before its transaction commits', async () => {
    const { shop, transport, records } = await memoryRuntimeShop({ bugs: ['ack-before-commit'] });
    try {
      const { orderId } = await shop.placeOrder({ customerId: customers.ada, items: items('BOOK-001', 1) });
      expect((await shop.waitForTerminal(orderId, 10_000)).status).toBe('shipped');
      expect(records.some((r) => r.outcome.ackedEarly)).toBe(true);
    } finally {
      await shop.stop();
      await transport.close();
    }
  });
});

describe('startShop', () => {
  it('stops the runtimes it started when a later one cannot start', async () => {
    const inner = new InMemoryTransport();
    let open = 0;
    const transport: Transport = {
      declare: (topology) => inner.declare(topology),
      publish: (exchange, message) => inner.publish(exchange, message),
      close: () => inner.close(),
      async consume(queue, handler, options) {
        if (queue.endsWith('.inventory')) throw new Error(`cannot consume ${queue}`);
        const subscription = await inner.consume(queue, handler, options);
        open++;
        return {
          close: async () => {
            open--;
            await subscription.close();
          },
        };
      },
    };
    try {
      await expect(startShop({ transport, store: new MemoryStore(), namespace: 'unit' })).rejects.toThrow(
        'cannot consume troupe.unit.inventory',
      );
      expect(open).toBe(0);
    } finally {
      await inner.close();
    }
  });
});
