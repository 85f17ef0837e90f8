import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { stock } from '../../../reference-services/inventory/state';
import { orders } from '../../../reference-services/orders/state';
import { collection } from '../../../reference-services/kit/collection';
import { PostgresStore } from '../../../reference-services/kit/postgres-store';
import { createShopProcessors } from '../../../reference-services/shop-processors';
import { address, customers, items } from '../../unit/services/shop-fixture';

const suffix = randomBytes(4).toString('hex');
let n = 0;
const counters = collection<{ n: number }>('test.counters');

/** The SQL text of every statement sent while `fn` runs (node-postgres, all clients). */
async function statementsDuring(fn: () => Promise<void>): Promise<string[]> {
  const texts: string[] = [];
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const saved = prototype.query;
  prototype.query = function (this: unknown, ...args: unknown[]) {
    const [config] = args;
    texts.push(typeof config === 'string' ? config : String((config as { text?: unknown }).text));
    return saved.apply(this, args);
  };
  try {
    await fn();
  } finally {
    prototype.query = saved;
  }
  return texts;
}

describe('PostgresStore: rows locked for a whole batch (lockAll)', () => {
  let store: PostgresStore;
  beforeEach(async () => {
    store = await PostgresStore.open({ namespace: `locks_it_${suffix}_${n++}`, poolSize: 4 });
  });
  afterEach(async () => {
    await store.dropSchema();
    await store.close();
  });

  it('locks the rows until commit, serves them without a round trip, sees its own writes; missing rows stay unlocked', async () => {
    await store.transaction(async (tx) => {
      await tx.put(counters, 'a', { n: 1 });
      await tx.put(counters, 'b', { n: 2 });
      await tx.put(counters, 'free', { n: 3 });
    });
    let releaseHolder!: () => void;
    const holderMayCommit = new Promise<void>((resolve) => (releaseHolder = resolve));
    let locked!: () => void;
    const lockedNow = new Promise<void>((resolve) => (locked = resolve));
    const holder = store.transaction(async (tx) => {
      const lockAll = tx.lockAll?.bind(tx);
      if (!lockAll) throw new Error('PostgresStore transactions must offer lockAll');
      const statements = await statementsDuring(async () => {
        await lockAll([
          { collection: counters, key: 'b' },
          { collection: counters, key: 'a' },
          { collection: counters, key: 'missing' },
        ]);
        expect(await tx.get(counters, 'a', { forUpdate: true })).toEqual({ n: 1 });
        await tx.put(counters, 'a', { n: 10 });
        expect(await tx.get(counters, 'a', { forUpdate: true })).toEqual({ n: 10 });
        expect(await tx.get(counters, 'b')).toEqual({ n: 2 });
      });
      // One statement for the three rows; the reads of locked rows asked the server nothing.
      expect(statements).toHaveLength(1);
      // `list` flushes the buffered write; the locked row's value must follow it.
      expect((await tx.list(counters)).find((entry) => entry.key === 'a')?.value).toEqual({ n: 10 });
      expect(await tx.get(counters, 'a', { forUpdate: true })).toEqual({ n: 10 });
      locked();
      await holderMayCommit;
    });
    // The holder failing before it signals must fail the test, not hang it.
    await Promise.race([lockedNow, holder]);
    const lockRow = (key: string) =>
      store.transaction((tx) => tx.get(counters, key, { forUpdate: true }), { lockTimeoutMs: 50 });
    await expect(lockRow('a')).rejects.toMatchObject({ code: '55P03' });
    await expect(lockRow('b')).rejects.toMatchObject({ code: '55P03' });
    await expect(lockRow('free')).resolves.toEqual({ n: 3 });
    // A key that had no row was not locked: another transaction may create it.
    await expect(
      store.transaction((tx) => tx.insert(counters, 'missing', { n: 4 }), { lockTimeoutMs: 50 }),
    ).resolves.toBe(true);
    releaseHolder();
    await holder;
    expect(await store.read(counters, 'a')).toEqual({ n: 10 });
  });

  it('two transactions locking the same rows listed in opposite orders never deadlock', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    await store.transaction(async (tx) => {
      for (const key of keys) await tx.put(counters, key, { n: 0 });
    });
    const bumpAll = (order: readonly string[]) =>
      store.transaction(async (tx) => {
        await tx.lockAll?.(order.map((key) => ({ collection: counters, key })));
        for (const key of order) {
          const current = await tx.get(counters, key, { forUpdate: true });
          await tx.put(counters, key, { n: (current?.n ?? 0) + 1 });
        }
      });
    // Without a lock order, these would meet in a lock cycle (SQLSTATE 40P01) after the deadlock timeout.
    await Promise.all(Array.from({ length: 6 }, (_, i) => bumpAll(i % 2 === 0 ? keys : [...keys].reverse())));
    const values = await Promise.all(keys.map((key) => store.read(counters, key)));
    expect(values.every((value) => value?.n === 6)).toBe(true);
  });

  it('a batch locks its declared rows in one statement: orders and inventory handlers ask for none one by one', async () => {
    const shop = createShopProcessors({ store });
    await shop.seed({
      customers: [{ customerId: customers.ada, tier: 'standard', email: 'ada@example.com', address }],
      stock: { 'BOOK-001': 50 },
    });
    const placed = [];
    for (let i = 0; i < 8; i++) {
      placed.push(await shop.placeOrder({ customerId: customers.ada, items: items('BOOK-001', 2) }));
    }
    const bodiesOf = async (type: string) =>
      (await store.outbox()).filter((row) => row.eventType === type).map((row) => ({ body: row.body }));
    const paid = await shop.processors.payments.processBatch(await bodiesOf('OrderPlaced'));
    expect(paid.every((outcome) => outcome.kind === 'ack' && outcome.status === 'handled')).toBe(true);
    const completed = await bodiesOf('PaymentCompleted');
    expect(completed).toHaveLength(8);
    const singleRowReads = (statements: string[]) =>
      statements.filter((text) => /FROM "[^"]+"\.state WHERE collection = \$1 AND key = \$2/.test(text));
    const lockStatements = (statements: string[]) =>
      statements.filter((text) => text.includes('JOIN unnest'));

    // Inventory: eight orders of the same SKU in one batch — every reservation must see the one before it.
    const inventoryStatements = await statementsDuring(async () => {
      const outcomes = await shop.processors.inventory.processBatch(completed);
      expect(outcomes.every((outcome) => outcome.kind === 'ack' && outcome.status === 'handled')).toBe(true);
    });
    expect(singleRowReads(inventoryStatements)).toEqual([]);
    expect(lockStatements(inventoryStatements)).toHaveLength(1);
    expect(await store.read(stock, 'BOOK-001')).toEqual({ sku: 'BOOK-001', available: 34, reserved: 16 });

    const ordersStatements = await statementsDuring(async () => {
      const outcomes = await shop.processors.orders.processBatch([
        ...completed,
        ...(await bodiesOf('InventoryReserved')),
      ]);
      expect(outcomes.every((outcome) => outcome.kind === 'ack' && outcome.status === 'handled')).toBe(true);
    });
    expect(singleRowReads(ordersStatements)).toEqual([]);
    expect(lockStatements(ordersStatements)).toHaveLength(1);
    for (const { orderId } of placed) expect((await store.read(orders, orderId))?.status).toBe('reserved');
  });
});
