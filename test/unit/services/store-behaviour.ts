import { eventually } from '../../../harness/assert';
import { collection } from '../../../reference-services/kit/collection';
import type { NewOutboxRecord, Store } from '../../../reference-services/kit/store';

/** A collection for store tests. */
export const counters = collection<{ n: number }>('test.counters');

/** Outbox row `n` of `aggregateId`; its body is `<aggregateId>:<n>`. */
export function row(aggregateId: string, n: number): NewOutboxRecord {
  return {
    aggregateId,
    eventId: `${aggregateId}-${n}`,
    eventType: 'Test',
    routingKey: 'test.x',
    correlationId: aggregateId,
    body: `${aggregateId}:${n}`,
  };
}

/** Waits for `condition`, with a deadline (no fixed sleeps). */
function until(condition: () => boolean, description: string): Promise<true> {
  return eventually(() => condition() || undefined, { within: 5_000, description });
}

/**
 * The behaviour every Store must have, run against each implementation (memory, PGlite, PostgreSQL). `open` gives
 * a fresh, migrated, empty store; `dispose` cleans it up.
 */
export function storeBehaviour(
  name: string,
  open: () => Promise<Store>,
  dispose: (store: Store) => Promise<void>,
  options: { readonly externalSurvivesRollback: boolean },
): void {
  describe(`Store behaviour: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await dispose(store);
    });

    it('commits state, inbox and outbox together and rolls all back on error', async () => {
      await expect(
        store.transaction(async (tx) => {
          await tx.put(counters, 'a', { n: 1 });
          expect(await tx.markProcessed('svc', 'e1')).toBe(true);
          await tx.appendOutbox(row('a', 1));
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.read(counters, 'a')).toBeUndefined();
      expect(await store.outbox()).toHaveLength(0);
      await store.transaction(async (tx) => {
        expect(await tx.markProcessed('svc', 'e1')).toBe(true);
        expect(await tx.markProcessed('svc', 'e1')).toBe(false);
        expect(await tx.hasProcessed('svc', 'e1')).toBe(true);
        expect(await tx.insert(counters, 'a', { n: 1 })).toBe(true);
        expect(await tx.insert(counters, 'a', { n: 9 })).toBe(false);
        await tx.put(counters, 'b', { n: 2 });
        expect(await tx.get(counters, 'b')).toEqual({ n: 2 });
        expect(await tx.list(counters)).toEqual([
          { key: 'a', value: { n: 1 } },
          { key: 'b', value: { n: 2 } },
        ]);
        await tx.appendOutbox(row('a', 1));
      });
      expect(await store.list(counters)).toHaveLength(2);
      const [outboxRow] = await store.outbox();
      expect(outboxRow).toMatchObject({ aggregateId: 'a', body: 'a:1', publishedAt: null });
      await store.transaction(async (tx) => expect(await tx.markProcessed('svc', 'e1')).toBe(false));
      await store.transaction(async (tx) => expect(await tx.markProcessed('other', 'e1')).toBe(true));
    });

    it('forUpdate serializes concurrent read-modify-write: no lost update', async () => {
      await Promise.all(
        Array.from({ length: 20 }, () =>
          store
            .transaction(async (tx) => {
              const current = (await tx.get(counters, 'c', { forUpdate: true }))?.n;
              if (current === undefined) {
                if (!(await tx.insert(counters, 'c', { n: 1 }))) throw new Error('raced on insert');
                return;
              }
              await tx.put(counters, 'c', { n: current + 1 });
            })
            .catch(async (error: unknown) => {
              // The first writers may race on the insert; a real handler would be retried, so retry once here.
              if (!(error instanceof Error) || error.message !== 'raced on insert') throw error;
              await store.transaction(async (tx) => {
                const current = (await tx.get(counters, 'c', { forUpdate: true }))?.n ?? 0;
                await tx.put(counters, 'c', { n: current + 1 });
              });
            }),
        ),
      );
      expect(await store.read(counters, 'c')).toEqual({ n: 20 });
    });

    it('putIfAbsent keeps the first value', async () => {
      expect(await store.putIfAbsent(counters, 'k', { n: 1 })).toEqual({ value: { n: 1 }, created: true });
      expect(await store.putIfAbsent(counters, 'k', { n: 2 })).toEqual({ value: { n: 1 }, created: false });
      await expect(
        store.transaction(async () => {
          await store.putIfAbsent(counters, 'inside', { n: 3 });
          throw new Error('rollback');
        }),
      ).rejects.toThrow('rollback');
      expect(await store.read(counters, 'inside')).toEqual(
        options.externalSurvivesRollback ? { n: 3 } : undefined,
      );
    });

    it('relays keep per-aggregate order with two relays; a failed publish leaves rows unpublished', async () => {
      let notified = 0;
      const unsubscribe = store.onOutboxWritten(() => notified++);
      // Give LISTEN a moment to be registered: retry the write until one notification arrives.
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
      await until(() => notified > 0, 'an outbox notification').catch(async () => {
        await store.transaction((tx) => tx.appendOutbox(row('z', 1)));
        await until(() => notified > 0, 'an outbox notification after a second write');
      });
      unsubscribe();
      const published: string[] = [];
      let releaseFirst!: () => void;
      const firstBlocked = new Promise<void>((resolve) => (releaseFirst = resolve));
      let firstClaimed = false;
      const relay1 = store.relayOutbox(2, async (rows) => {
        firstClaimed = true;
        await firstBlocked;
        published.push(...rows.map((r) => r.body));
        return rows.map((r) => r.id);
      });
      await until(() => firstClaimed, 'the first relay to claim its rows');
      if (store.kind !== 'pglite') {
        // PGlite has one connection: a second relay waits for the first instead of running beside it.
        const relay2 = await store.relayOutbox(10, (rows) => {
          published.push(...rows.map((r) => r.body));
          return Promise.resolve(rows.map((r) => r.id));
        });
        expect(relay2).toBeGreaterThanOrEqual(1);
        expect(published.filter((body) => body.startsWith('a') || body.startsWith('b'))).toEqual([]);
      }
      releaseFirst();
      expect(await relay1).toBe(2);
      await expect(store.relayOutbox(10, () => Promise.reject(new Error('broker down')))).rejects.toThrow(
        'broker down',
      );
      expect((await store.outbox()).filter((r) => r.publishedAt === null).length).toBeGreaterThanOrEqual(2);
      while (
        (await store.relayOutbox(10, (rows) => {
          published.push(...rows.map((r) => r.body));
          return Promise.resolve(rows.map((r) => r.id));
        })) > 0
      );
      const forAggregate = (agg: string) => published.filter((body) => body.startsWith(`${agg}:`));
      expect(forAggregate('a')).toEqual(['a:1', 'a:2']);
      expect(forAggregate('b')).toEqual(['b:1', 'b:2']);
      expect((await store.outbox()).every((r) => r.publishedAt !== null)).toBe(true);
    });
  });
}
