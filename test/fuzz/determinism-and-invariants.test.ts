import {
  shopOrderId,
  shopSimTarget,
  type ShopWorkload,
} from '../../reference-services/target/shop-sim-target';
import type { EventIdentity } from '../../harness/events/envelope-adapter';
import { invariant } from '../../harness/fuzz/invariant';
import type { Schedule } from '../../harness/fuzz/schedule';
import { simulate } from '../../harness/fuzz/simulate';

const workload: ShopWorkload = {
  orders: [
    { customer: 0, items: [{ sku: 0, quantity: 2, unitPrice: 1250 }], fraudulent: false },
    { customer: 1, items: [{ sku: 0, quantity: 3, unitPrice: 900 }], fraudulent: false },
    { customer: 2, items: [{ sku: 1, quantity: 1, unitPrice: 400 }], fraudulent: false },
  ],
  stock: [4, 6, 6],
  declines: -1,
  refundFailures: 2,
};

const schedule: Schedule = {
  faults: [
    { kind: 'delay', consumer: 'inventory', nth: 0, by: 2 },
    { kind: 'duplicate', consumer: 'payments', nth: 1, copies: 2, lag: 1 },
    { kind: 'crash', consumer: 'shipping', nth: 0, point: 'after-commit-before-ack' },
    { kind: 'redeliver', consumer: 'orders', nth: 2 },
  ],
};

describe('deterministic simulation of the reference shop', () => {
  it('the same workload and schedule give the same run, event for event (ids and times included)', async () => {
    const target = shopSimTarget();
    const a = await simulate(target, workload, schedule, { record: true });
    const b = await simulate(target, workload, schedule, { record: true });
    expect(a.quiesced).toBe(true);
    expect(a.events.length).toBeGreaterThan(10);
    expect(b.events).toEqual(a.events);
    expect(b.timeline).toEqual(a.timeline);
    expect(b.state).toEqual(a.state);
    // `a` seeded the workload itself, `b` started from the target's copy of that seed; with an interleaving too,
    // a run from the copy is the run that seeds itself (a fresh target has nothing cached).
    const interleaved = { ...schedule, interleave: 7 };
    const fresh = await simulate(shopSimTarget(), workload, interleaved, { record: true });
    const copied = await simulate(target, workload, interleaved, { record: true });
    expect(copied.timeline).toEqual(fresh.timeline);
    expect(copied.events).toEqual(fresh.events);
    expect(copied.state).toEqual(fresh.state);
    expect(copied.timeline).not.toEqual(a.timeline);
    // The delayed reservation of order 1 lets order 2 take the short stock: reordering changes the outcome,
    // which is why idempotency is judged against a clean run with the same reordering.
    const outcome = async (faults: Schedule['faults']): Promise<string[]> =>
      (await simulate(target, workload, { faults })).events
        .filter((e) => ['ShipmentScheduled', 'OrderCancelled', 'OrderNeedsAttention'].includes(e.eventType))
        .map(
          (e) =>
            `${e.businessKey === shopOrderId(0) ? 'o1' : e.businessKey === shopOrderId(1) ? 'o2' : 'o3'}:${e.eventType}`,
        )
        .sort();
    expect(await outcome([])).toEqual(['o1:ShipmentScheduled', 'o2:OrderCancelled', 'o3:ShipmentScheduled']);
    expect(await outcome([{ kind: 'delay', consumer: 'inventory', nth: 0, by: 2 }])).toEqual([
      'o1:OrderCancelled',
      'o2:ShipmentScheduled',
      'o3:ShipmentScheduled',
    ]);
  });
});

const event = (eventType: string, orderId: string, payload: Record<string, unknown> = {}): EventIdentity => ({
  eventId: `${eventType}-${orderId}-${JSON.stringify(payload)}`,
  eventType,
  correlationId: `c-${orderId}`,
  businessKey: orderId,
  payload: { orderId, ...payload },
});

describe('invariant DSL', () => {
  const events = [
    event('PaymentCompleted', 'o1', { amount: { amountMinor: 100 } }),
    event('PaymentCompleted', 'o1', { amount: { amountMinor: 100 }, retry: true }),
    event('PaymentRefunded', 'o2', { amount: { amountMinor: 50 } }),
    event('ShipmentScheduled', 'o1'),
  ];
  const input = { events, flows: ['o1', 'o2'] };

  it('atMostOne … per', () => {
    expect(invariant.atMostOne('PaymentCompleted').per('orderId').check(input)).toEqual([
      'orderId o1: 2 × PaymentCompleted',
    ]);
  });

  it('exactlyOne … per also reports flows that never ended', () => {
    expect(invariant.exactlyOne(['ShipmentScheduled', 'OrderCancelled']).per('orderId').check(input)).toEqual(
      ['orderId o2: 0 × ShipmentScheduled|OrderCancelled (flow never ended)'],
    );
  });

  it('sumOf … atMost … per', () => {
    const refunds = invariant
      .sumOf('PaymentRefunded', 'amount.amountMinor')
      .atMost('PaymentCompleted', 'amount.amountMinor');
    expect(refunds.per('orderId').check(input)).toEqual([
      'orderId o2: PaymentRefunded 50 > PaymentCompleted 0',
    ]);
  });

  it('never and that', () => {
    expect(invariant.never('PaymentRefunded').check(input)).toHaveLength(1);
    expect(invariant.that('two flows', ({ flows }) => flows.length === 2).check(input)).toEqual([]);
    expect(invariant.that('custom', () => 'broken because').check(input)).toEqual(['broken because']);
    expect(invariant.that('custom', () => false).check(input)).toEqual(['custom']);
  });
});
