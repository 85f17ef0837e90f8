import { ChaosError } from '../../../harness/chaos/chaos-error';
import {
  describeChaosFault,
  formatChaosPlan,
  parseChaosFault,
  parseChaosPlan,
  randomChaosPlan,
  planFromSchedule,
} from '../../../harness/chaos/index';

describe('chaos plans as data', () => {
  it('parses, prints and replays a plan', () => {
    const plan = parseChaosPlan({
      seed: 4,
      faults: [
        {
          kind: 'duplicate',
          service: 'inventory',
          match: { eventType: 'PaymentCompleted' },
          nth: 1,
          redelivered: true,
        },
        { kind: 'cut', service: 'payments', how: 'close', on: { on: 'ack', nth: 3 }, refuseMs: 500 },
        { kind: 'pause', service: 'shipping', ms: 200, afterMs: 1000 },
      ],
    });
    expect(parseChaosPlan(JSON.parse(formatChaosPlan(plan)))).toEqual(plan);
    expect(plan.faults.map(describeChaosFault)).toEqual([
      'duplicate delivery #1 (PaymentCompleted) to inventory ×1 (redelivered flag set)',
      'cut payments (connection.close 320) at ack #3, refuse reconnection for 500 ms',
      'pause every delivery to shipping for 200 ms after 1000 ms',
    ]);
  });

  it('rejects a bad fault naming the field', () => {
    expect(() => parseChaosFault({ kind: 'delay', service: 'a' })).toThrow(/fault: ms: /);
    expect(() => parseChaosPlan({ faults: [{ kind: 'explode', service: 'a' }] })).toThrow(
      /plan: faults\.0\.kind/,
    );
    expect(() => parseChaosFault({ kind: 'nack-confirm', service: 'a', match: { queue: 'q' } })).toThrow(
      /selects publishes, which have no queue/,
    );
    try {
      parseChaosFault({ kind: 'delay', service: 'a', ms: -1 });
    } catch (error) {
      expect(error).toBeInstanceOf(ChaosError);
      expect((error as ChaosError).code).toBe('invalid-fault');
    }
  });

  it('a seed and a shape give the same random plan every time', () => {
    const shape = { services: ['orders', 'payments'], maxFaults: 5 };
    expect(randomChaosPlan(42, shape)).toEqual(randomChaosPlan(42, shape));
    expect(() => parseChaosPlan(randomChaosPlan(42, shape))).not.toThrow();
  });

  it('converts a simulator schedule, keeping (queue, nth) and skipping crashes', () => {
    const { plan, skipped } = planFromSchedule(
      {
        faults: [
          { kind: 'duplicate', consumer: 'shop.payments', nth: 0, copies: 2, lag: 1 },
          { kind: 'redeliver', consumer: 'shop.inventory', nth: 1 },
          { kind: 'delay', consumer: 'shop.shipping', nth: 2, by: 3 },
          { kind: 'crash', consumer: 'shop.inventory', nth: 0, point: 'after-commit-before-dedupe' },
        ],
      },
      { serviceOf: (queue) => queue.replace('shop.', ''), stepMs: 50 },
    );
    expect(plan.faults).toEqual([
      {
        kind: 'duplicate',
        service: 'payments',
        match: { queue: 'shop.payments' },
        nth: 0,
        copies: 2,
        lagMs: 50,
      },
      {
        kind: 'lose-ack',
        service: 'inventory',
        match: { queue: 'shop.inventory' },
        nth: 1,
        thenCut: 'reset',
      },
      { kind: 'delay', service: 'shipping', match: { queue: 'shop.shipping' }, nth: 2, ms: 150 },
    ]);
    expect(skipped).toHaveLength(1);
  });
});

describe('the public entry point', () => {
  it('offers the chaos proxy', async () => {
    const troupe = await import('../../../harness/index');
    expect(typeof troupe.startChaosProxy).toBe('function');
    expect(typeof troupe.startControlApi).toBe('function');
    expect(typeof troupe.parseChaosPlan).toBe('function');
  });
});
