import { collection } from '../../reference-services/kit/collection';
import { SimulatedStore } from '../../reference-services/kit/simulated-store';
import type { Timers } from '../../reference-services/kit/timers';

/** A hand-cranked scheduler: statements wait until the test lets them run, in the order it chooses. */
function cranked() {
  const waiting: (() => void)[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const timerApi: Timers = {
    setTimeout: (fn, ms) => {
      const timer = { fn, ms };
      timers.push(timer);
      return timer;
    },
    clearTimeout: (handle) => {
      const index = timers.indexOf(handle as { fn: () => void; ms: number });
      if (index >= 0) timers.splice(index, 1);
    },
    defer: (fn) => waiting.push(fn),
  };
  const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    store: new SimulatedStore({
      interleaving: { step: () => new Promise<void>((resolve) => waiting.push(resolve)), timers: timerApi },
    }),
    /** Lets the oldest waiting statement run, then lets its promise chain settle. */
    async run(times = 1) {
      for (let i = 0; i < times; i++) {
        waiting.shift()?.();
        await flush();
      }
    },
    async drain() {
      await flush();
      while (waiting.length > 0) await this.run();
    },
    fireTimers() {
      for (const timer of timers.splice(0)) timer.fn();
    },
  };
}

const counters = collection<{ n: number }>('test.counters');

async function increment(store: SimulatedStore, forUpdate: boolean): Promise<void> {
  await store.transaction(async (tx) => {
    const current = await tx.get(counters, 'c', { forUpdate });
    await tx.put(counters, 'c', { n: (current?.n ?? 0) + 1 });
  });
}

describe('SimulatedStore: read committed with row locks, interleaved statement by statement', () => {
  it('loses an update when two transactions read without FOR UPDATE', async () => {
    const s = cranked();
    const a = increment(s.store, false);
    const b = increment(s.store, false);
    await s.drain();
    await Promise.all([a, b]);
    expect(await s.store.read(counters, 'c')).toEqual({ n: 1 });
  });

  it('serialises the same two transactions with FOR UPDATE', async () => {
    const s = cranked();
    const a = increment(s.store, true);
    const b = increment(s.store, true);
    await s.drain();
    await Promise.all([a, b]);
    expect(await s.store.read(counters, 'c')).toEqual({ n: 2 });
  });

  it('aborts the transaction that closes a lock cycle with SQLSTATE 40P01, the other commits', async () => {
    const s = cranked();
    const lockBoth = (first: string, second: string) =>
      s.store.transaction(async (tx) => {
        await tx.get(counters, first, { forUpdate: true });
        await tx.get(counters, second, { forUpdate: true });
        await tx.put(counters, first, { n: 1 });
      });
    const a = lockBoth('x', 'y');
    const b = lockBoth('y', 'x');
    const results = Promise.allSettled([a, b]);
    await s.drain();
    const [ra, rb] = await results;
    expect([ra?.status, rb?.status].sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = [ra, rb].find((r) => r?.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ code: '40P01' });
  });

  it('gives up a lock wait after lockTimeoutMs with SQLSTATE 55P03', async () => {
    const s = cranked();
    let release!: () => void;
    const holder = s.store.transaction(async (tx) => {
      await tx.get(counters, 'c', { forUpdate: true });
      await new Promise<void>((resolve) => (release = resolve));
    });
    await s.run();
    const waiter = s.store.transaction((tx) => tx.get(counters, 'c', { forUpdate: true }), {
      lockTimeoutMs: 100,
    });
    const settled = waiter.then(
      () => 'committed',
      (error: { code?: string }) => error.code,
    );
    await s.run();
    s.fireTimers();
    expect(await settled).toBe('55P03');
    release();
    await s.drain();
    await holder;
  });

  it('lockAll locks rows in key order, so the same rows listed in opposite orders never close a lock cycle', async () => {
    const s = cranked();
    const lockAllThenWrite = (keys: readonly string[]) =>
      s.store.transaction(async (tx) => {
        await tx.lockAll?.(keys.map((key) => ({ collection: counters, key })));
        for (const key of keys) {
          const current = await tx.get(counters, key, { forUpdate: true });
          await tx.put(counters, key, { n: (current?.n ?? 0) + 1 });
        }
      });
    // Each statement of one, then of the other: as `lockBoth` above, a cycle if the locks were taken as listed.
    const results = Promise.allSettled([lockAllThenWrite(['x', 'y']), lockAllThenWrite(['y', 'x'])]);
    await s.drain();
    expect((await results).map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(await s.store.read(counters, 'x')).toEqual({ n: 2 });
    expect(await s.store.read(counters, 'y')).toEqual({ n: 2 });
  });

  it('an inbox row inserted by an uncommitted transaction makes a concurrent duplicate wait, then see it', async () => {
    const s = cranked();
    const mark = () => s.store.transaction((tx) => tx.markProcessed('svc', 'e1'));
    const first = mark();
    const second = mark();
    await s.drain();
    expect(await Promise.all([first, second])).toEqual([true, false]);
  });
});
