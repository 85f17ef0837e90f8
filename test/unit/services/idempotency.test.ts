import { SimulatedCrash, type CrashPoint } from '../../../reference-services/kit/crash-points';
import type { KnownBug } from '../../../reference-services/kit/bugs';
import { consumersOf } from '../../../reference-services/services';
import type { Collection } from '../../../reference-services/kit/collection';
import { manualClock, seededIds } from '../../../reference-services/kit/determinism';
import type { GetOptions, StoreTx, TransactionOptions } from '../../../reference-services/kit/store';
import { ServiceProcessor, type ProcessOutcome } from '../../../reference-services/kit/service-processor';
import { readShopState, type ShopState } from '../../../reference-services/shop-state';
import { customers, drain, items, memoryShop, processWithRetries, types } from './shop-fixture';

/** Crashes once at `point` for the first message of `service` that reaches it. */
function crashOnceAt(service: string, point: CrashPoint) {
  let crashed = false;
  return (reached: CrashPoint, info: { readonly service: string }) => {
    if (!crashed && reached === point && info.service === service) {
      crashed = true;
      throw new SimulatedCrash(point);
    }
  };
}

describe('idempotent consumers (inbox) on the MemoryStore', () => {
  it.each([
    ['happy', {}, 'BOOK-001', 1],
    ['declined', { declines: [{ customerId: customers.ada, reason: 'declined' as const }] }, 'BOOK-001', 1],
    ['out of stock', {}, 'PEN-002', 5],
    ['refund failed', { refundFailures: [{ reason: 'no' }] }, 'PEN-002', 5],
  ])(
    'every consumed event of the %s path delivered twice changes nothing',
    async (_name, rules, sku, qty) => {
      const once = await memoryShop({ gatewayRules: rules });
      await once.placeOrder({ customerId: customers.ada, items: items(sku, qty) });
      const single = await drain(once);
      const twice = await memoryShop({ gatewayRules: rules });
      await twice.placeOrder({ customerId: customers.ada, items: items(sku, qty) });
      const doubled = await drain(twice, { duplicate: true });
      // Same deterministic ids: identical events and identical state.
      expect(doubled.events).toEqual(single.events);
      expect(await readShopState(twice.store)).toEqual(await readShopState(once.store));
      const duplicates = doubled.processed.filter(
        (p) => p.outcome.kind === 'ack' && p.outcome.status === 'duplicate',
      );
      const deliveries = single.events.reduce((sum, event) => sum + consumersOf(event.eventType).length, 0);
      expect(duplicates).toHaveLength(deliveries);
    },
  );

  it('the gateway never charges twice when the payments transaction fails after the charge', async () => {
    const shop = await memoryShop();
    const { orderId } = await shop.placeOrder({ customerId: customers.ada, items: items('BOOK-001', 1) });
    const [placed] = await shop.store.outbox();
    // Let the gateway charge, then fail the payments commit twice: the message is retried.
    shop.store.failNextCommits(2);
    const first = await shop.processors.payments.process({ body: placed?.body ?? '', attempt: 1 });
    expect(first).toMatchObject({ kind: 'retry', attempt: 1, delayMs: 10 });
    const second = await shop.processors.payments.process({ body: placed?.body ?? '', attempt: 2 });
    expect(second).toMatchObject({ kind: 'retry', attempt: 2, delayMs: 20 });
    const third = await shop.processors.payments.process({ body: placed?.body ?? '', attempt: 3 });
    expect(third).toMatchObject({ kind: 'ack', status: 'handled' });
    const state = await readShopState(shop.store, orderId);
    expect(state.charges).toHaveLength(1);
    expect(state.payments).toHaveLength(1);
    // The committed PaymentCompleted names the gateway's first charge.
    expect(state.payments[0]?.paymentId).toBe(state.charges[0]?.chargeId);
  });

  it('a crash after commit and before ack: the redelivery is absorbed as a duplicate', async () => {
    const shop = await memoryShop({ crashHook: crashOnceAt('inventory', 'after-commit-before-ack') });
    await shop.placeOrder({ customerId: customers.ada, items: items('BOOK-001', 3) });
    const { processed } = await drain(shop);
    const crash = processed.find((p) => p.outcome.kind === 'crashed');
    expect(crash?.outcome).toMatchObject({
      kind: 'crashed',
      point: 'after-commit-before-ack',
      ackedEarly: false,
    });
    const redelivery = await processWithRetries(shop, 'inventory', crash?.body ?? '');
    expect(redelivery).toMatchObject({ kind: 'ack', status: 'duplicate' });
    expect((await readShopState(shop.store)).stock.find((row) => row.sku === 'BOOK-001')?.available).toBe(7);
  });

  it('a crash inside the transaction rolls back; the redelivery then does the work once', async () => {
    const shop = await memoryShop({ crashHook: crashOnceAt('inventory', 'after-handle-before-commit') });
    await shop.placeOrder({ customerId: customers.ada, items: items('BOOK-001', 3) });
    const first = await drain(shop);
    expect(types(first.events)).toEqual(['OrderPlaced', 'PaymentCompleted']);
    const crash = first.processed.find((p) => p.outcome.kind === 'crashed');
    expect(await processWithRetries(shop, 'inventory', crash?.body ?? '')).toMatchObject({
      status: 'handled',
    });
    const rest = await drain(shop);
    expect(types(rest.events)).toEqual(['InventoryReserved', 'ShipmentScheduled', 'CustomerNotified']);
  });

  describe('known bugs (off by default) are real and detectable', () => {
    async function run(bugs: KnownBug[], crashHook?: ReturnType<typeof crashOnceAt>) {
      const shop = await memoryShop({ bugs, ...(crashHook ? { crashHook } : {}) });
      const { orderId } = await shop.placeOrder({ customerId: customers.ada, items: items('BOOK-001', 1) });
      return { shop, orderId };
    }

    it('payment-not-idempotent: a duplicate OrderPlaced charges twice', async () => {
      const { shop, orderId } = await run(['payment-not-idempotent']);
      await drain(shop, { duplicate: true });
      const state = await readShopState(shop.store, orderId);
      expect(state.charges.filter((charge) => charge.status === 'approved')).toHaveLength(2);
      // Without the bug the same schedule charges once.
      const { shop: fixed, orderId: fixedId } = await run([]);
      await drain(fixed, { duplicate: true });
      expect((await readShopState(fixed.store, fixedId)).charges).toHaveLength(1);
    });

    it('inventory-dedupe-after-commit: a crash between commit and dedupe reserves twice', async () => {
      const { shop } = await run(
        ['inventory-dedupe-after-commit'],
        crashOnceAt('inventory', 'after-commit-before-dedupe'),
      );
      const { processed } = await drain(shop);
      const crash = processed.find((p) => p.outcome.kind === 'crashed');
      expect(crash?.outcome).toMatchObject({ point: 'after-commit-before-dedupe' });
      expect(await processWithRetries(shop, 'inventory', crash?.body ?? '')).toMatchObject({
        status: 'handled',
      });
      await drain(shop);
      expect((await readShopState(shop.store)).shipments).toHaveLength(2);
      expect((await readShopState(shop.store)).stock.find((row) => row.sku === 'BOOK-001')?.available).toBe(
        8,
      );
    });

    it('ack-before-commit: the delivery is acked before a crash inside the transaction, so it is lost', async () => {
      const { shop } = await run(
        ['ack-before-commit'],
        crashOnceAt('payments', 'after-handle-before-commit'),
      );
      const [placed] = await shop.store.outbox();
      let acked = 0;
      const outcome = await shop.processors.payments.process({
        body: placed?.body ?? '',
        onEarlyAck: () => acked++,
      });
      expect(acked).toBe(1);
      expect(outcome).toMatchObject({ kind: 'crashed', ackedEarly: true });
      expect(await shop.store.outbox()).toHaveLength(1);
    });

    it('with no bugs, the same crash leaves the delivery unacked', async () => {
      const { shop } = await run([], crashOnceAt('payments', 'after-handle-before-commit'));
      const [placed] = await shop.store.outbox();
      let acked = 0;
      const outcome = await shop.processors.payments.process({
        body: placed?.body ?? '',
        onEarlyAck: () => acked++,
      });
      expect(acked).toBe(0);
      expect(outcome).toMatchObject({ kind: 'crashed', ackedEarly: false });
    });
  });

  it('is deterministic: the same seed gives byte-identical outboxes', async () => {
    const bodies = async (seed: number) => {
      const shop = await memoryShop({ seed });
      await shop.placeOrder({ customerId: customers.ada, items: items('BOOK-001', 1) });
      await shop.placeOrder({ customerId: customers.bob, items: items('PEN-002', 9) });
      await drain(shop);
      return (await shop.store.outbox()).map((row) => row.body);
    };
    expect(await bodies(7)).toEqual(await bodies(7));
    expect(await bodies(7)).not.toEqual(await bodies(8));
  });
});

/** Four placed orders on each of two identical shops, and the payments inputs: their OrderPlaced, a duplicate, poison. */
async function twoShopsWithPlacedOrders() {
  const single = await memoryShop();
  const batched = await memoryShop();
  for (const shop of [single, batched]) {
    for (let i = 0; i < 4; i++)
      await shop.placeOrder({ customerId: customers.ada, items: items('PEN-002', 1) });
  }
  const bodies = (await single.store.outbox()).map((row) => row.body);
  const inputs = [...bodies, bodies[0] ?? '', '{"broken', ...bodies.slice(0, 1)].map((body) => ({ body }));
  return { single, batched, inputs };
}

const statusOf = (outcome: ProcessOutcome) => (outcome.kind === 'ack' ? outcome.status : outcome.kind);

/**
 * The state with every id that `known` does not hold replaced by one placeholder, each collection sorted: state
 * up to which fresh id went where (concurrent handlers draw their ids in the order they run).
 */
function upToMintedIds(state: ShopState, known: ReadonlySet<string>): Record<string, string[]> {
  const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
  return Object.fromEntries(
    Object.entries(state).map(([name, records]: [string, readonly unknown[]]) => [
      name,
      records
        .map((record) => JSON.stringify(record).replace(uuid, (id) => (known.has(id) ? id : '<minted>')))
        .sort(),
    ]),
  );
}

describe('consumer batching (processBatch)', () => {
  it('gives the same outcomes and state as one-by-one processing, duplicates and poison included', async () => {
    const { single, batched, inputs } = await twoShopsWithPlacedOrders();
    const known = new Set(
      JSON.stringify([inputs, await readShopState(single.store)]).match(/[0-9a-f-]{36}/g),
    );
    const one = [];
    for (const input of inputs) one.push(await single.processors.payments.process(input));
    const many = await batched.processors.payments.processBatch(inputs);
    expect(many.map(statusOf)).toEqual(one.map(statusOf));
    expect(many.map(statusOf)).toEqual([
      'handled',
      'handled',
      'handled',
      'handled',
      'duplicate',
      'reject',
      'duplicate',
    ]);
    // Payments charges a batch's orders concurrently (`concurrent: ['OrderPlaced']`): the same records, linked the
    // same way, with fresh ids drawn in the order the charges ran.
    const [batchedState, singleState] = [
      await readShopState(batched.store),
      await readShopState(single.store),
    ];
    expect(upToMintedIds(batchedState, known)).toEqual(upToMintedIds(singleState, known));
    for (const payment of batchedState.payments) {
      expect(batchedState.charges.filter((charge) => charge.chargeId === payment.paymentId)).toEqual([
        expect.objectContaining({ orderId: payment.orderId, status: 'approved' }),
      ]);
    }
    // The outbox is in batch order whatever order the charges finished in.
    const emittedFor = async (shop: typeof single) =>
      (await shop.store.outbox())
        .filter((row) => row.eventType === 'PaymentCompleted')
        .map((row) => row.aggregateId);
    expect(await emittedFor(batched)).toEqual(await emittedFor(single));
  });

  it('without concurrent handlers, a batch is byte-identical to one by one: the same ids in the same places', async () => {
    const { single, batched, inputs } = await twoShopsWithPlacedOrders();
    // The same service minus its `concurrent` declaration, with the same fresh id sequence on both sides.
    const sequential = (shop: typeof single) =>
      new ServiceProcessor({
        service: { ...shop.processors.payments.service, concurrent: [] },
        store: shop.store,
        ids: seededIds(99),
        clock: manualClock().now,
      });
    const alone = sequential(single);
    const one = [];
    for (const input of inputs) one.push(await alone.process(input));
    const many = await sequential(batched).processBatch(inputs);
    expect(many.map(statusOf)).toEqual(one.map(statusOf));
    expect(await readShopState(batched.store)).toEqual(await readShopState(single.store));
    expect(await batched.store.outbox()).toEqual(await single.store.outbox());
  });

  it("overlaps a batch's gateway calls (the ledger commits on its own); inventory's handlers stay one at a time", async () => {
    const shop = await memoryShop();
    for (let i = 0; i < 5; i++)
      await shop.placeOrder({ customerId: customers.ada, items: items('BOOK-001', 1) });
    const bodies = (await shop.store.outbox()).map((row) => ({ body: row.body }));
    let inFlight = 0;
    let most = 0;
    const original = shop.store.putIfAbsent.bind(shop.store);
    shop.store.putIfAbsent = async (...args) => {
      most = Math.max(most, ++inFlight);
      // A gateway round trip: other handlers run meanwhile when they may.
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return original(...args);
    };
    const outcomes = await shop.processors.payments.processBatch(bodies);
    expect(outcomes.map(statusOf)).toEqual(['handled', 'handled', 'handled', 'handled', 'handled']);
    expect(most).toBe(5);
    // Inventory's handlers are not declared concurrent: its batch runs them one at a time.
    const completed = (await shop.store.outbox())
      .filter((row) => row.eventType === 'PaymentCompleted')
      .map((row) => ({ body: row.body }));
    let reading = 0;
    let mostReading = 0;
    const tracked = shop.store.transaction.bind(shop.store);
    shop.store.transaction = <R>(fn: (tx: StoreTx) => Promise<R>, options?: TransactionOptions) =>
      tracked((tx) => {
        const get = tx.get.bind(tx);
        tx.get = async <T>(collection: Collection<T>, key: string, getOptions?: GetOptions) => {
          mostReading = Math.max(mostReading, ++reading);
          await new Promise((resolve) => setImmediate(resolve));
          reading--;
          return get(collection, key, getOptions);
        };
        return fn(tx);
      }, options);
    expect((await shop.processors.inventory.processBatch(completed)).map(statusOf)).toEqual(
      completed.map(() => 'handled'),
    );
    expect(mostReading).toBe(1);
  });

  it('one failing message rolls the batch back and the others still go through alone', async () => {
    const shop = await memoryShop();
    for (let i = 0; i < 3; i++)
      await shop.placeOrder({ customerId: customers.ada, items: items('BOOK-001', 1) });
    const bodies = (await shop.store.outbox()).map((row) => ({ body: row.body }));
    shop.store.failNextCommits(2); // the batch commit, then the first one-by-one retry
    const outcomes = await shop.processors.payments.processBatch(bodies);
    expect(outcomes.map((o) => o.kind)).toEqual(['retry', 'ack', 'ack']);
    expect((await readShopState(shop.store)).charges).toHaveLength(3);
  });
});
