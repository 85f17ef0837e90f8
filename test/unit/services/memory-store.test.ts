import { z } from 'zod';
import { seededIds } from '../../../reference-services/kit/determinism';
import { MemoryStore } from '../../../reference-services/kit/memory-store';
import { counters, row } from './store-behaviour';

describe('MemoryStore', () => {
  it('commits state, inbox and outbox together, and rolls all of them back on failure', async () => {
    const store = new MemoryStore();
    await expect(
      store.transaction(async (tx) => {
        await tx.put(counters, 'a', { n: 1 });
        await tx.markProcessed('svc', 'e1');
        await tx.appendOutbox(row('a', 1));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await store.read(counters, 'a')).toBeUndefined();
    expect(await store.outbox()).toHaveLength(0);
    store.failNextCommits(1);
    await expect(store.transaction((tx) => tx.put(counters, 'a', { n: 1 }))).rejects.toMatchObject({
      code: 'injected-failure',
    });
    expect(await store.read(counters, 'a')).toBeUndefined();
    await store.transaction(async (tx) => {
      expect(await tx.markProcessed('svc', 'e1')).toBe(true);
      expect(await tx.markProcessed('svc', 'e1')).toBe(false);
      await tx.put(counters, 'a', { n: 2 });
      expect(await tx.get(counters, 'a')).toEqual({ n: 2 });
    });
    expect(await store.read(counters, 'a')).toEqual({ n: 2 });
    await store.transaction(async (tx) => expect(await tx.markProcessed('svc', 'e1')).toBe(false));
  });

  it('serializes transactions: concurrent read-modify-write loses no update', async () => {
    const store = new MemoryStore();
    await Promise.all(
      Array.from({ length: 50 }, () =>
        store.transaction(async (tx) => {
          const current = (await tx.get(counters, 'c', { forUpdate: true }))?.n ?? 0;
          await Promise.resolve();
          await tx.put(counters, 'c', { n: current + 1 });
        }),
      ),
    );
    expect(await store.read(counters, 'c')).toEqual({ n: 50 });
  });

  it('relays keep per-aggregate order with two relays, and a failed publish leaves rows unpublished', async () => {
    const store = new MemoryStore();
    let notified = 0;
    store.onOutboxWritten(() => notified++);
    await store.transaction(async (tx) => {
      for (const [agg, n] of [
        ['a', 1],
        ['b', 1],
        ['a', 2],
        ['b', 2],
        ['c', 1],
      ] as const)
        await tx.appendOutbox(row(agg, n));
    });
    expect(notified).toBe(1);
    const published: string[] = [];
    let releaseFirst!: () => void;
    const firstBlocked = new Promise<void>((resolve) => (releaseFirst = resolve));
    // Relay 1 claims 2 rows (a:1, b:1) and is slow; relay 2 must not publish a:2 or b:2 before them.
    const relay1 = store.relayOutbox(2, async (rows) => {
      await firstBlocked;
      published.push(...rows.map((r) => r.body));
      return rows.map((r) => r.id);
    });
    const relay2 = await store.relayOutbox(10, (rows) => {
      published.push(...rows.map((r) => r.body));
      return Promise.resolve(rows.map((r) => r.id));
    });
    expect(relay2).toBe(1);
    expect(published).toEqual(['c:1']);
    releaseFirst();
    expect(await relay1).toBe(2);
    await expect(store.relayOutbox(10, () => Promise.reject(new Error('broker down')))).rejects.toThrow(
      'broker down',
    );
    expect((await store.outbox()).filter((r) => r.publishedAt === null)).toHaveLength(2);
    await store.relayOutbox(10, (rows) => {
      published.push(...rows.map((r) => r.body));
      return Promise.resolve(rows.map((r) => r.id));
    });
    expect(published).toEqual(['c:1', 'a:1', 'b:1', 'a:2', 'b:2']);
  });

  it('seededIds are valid, unique, sortable uuids and repeat per seed', () => {
    const ids = seededIds(42);
    const list = Array.from({ length: 1000 }, () => ids());
    for (const id of list) expect(z.uuid().safeParse(id).success).toBe(true);
    expect(new Set(list).size).toBe(1000);
    expect([...list].sort()).toEqual(list);
    const again = seededIds(42);
    expect(again()).toBe(list[0]);
  });
});
