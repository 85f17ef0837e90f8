import { expect as globalsExpect } from '@jest/globals';
import { troupeEnvelopeAdapter } from '../../../harness/events/envelope-adapter';
import { newEventId } from '../../../harness/events/event-id';
import { FlowAssertionError } from '../../../harness/assert/assertion-error';
import { eventually } from '../../../harness/assert/eventually';
import { flow } from '../../../harness/assert/flow';
import { holdsFor } from '../../../harness/assert/holds-for';
import { flowMatchers } from '../../../harness/assert/matchers';
import { quiescent } from '../../../harness/assert/quiescent';
import { EventLog } from '../../../harness/observe/event-log';
import { asDelivery, foreignAdapter, foreignMessage, troupeMessage } from './fixtures';

expect.extend(flowMatchers);

/** A log plus a helper that records shop events of one flow, each caused by the previous one by default. */
function setup() {
  const log = new EventLog({ adapter: troupeEnvelopeAdapter() });
  const correlationId = newEventId();
  let last = newEventId();
  const emit = (type: string, options: { cause?: string; eventId?: string; redelivered?: boolean } = {}) => {
    const message = troupeMessage(type, `svc.${type}`, correlationId, options.cause ?? last, {
      ...(options.eventId ? { eventId: options.eventId } : {}),
    });
    log.record(asDelivery(message, { redelivered: options.redelivered ?? false }));
    last = message.eventId;
    return message.eventId;
  };
  return { log, correlationId, emit };
}

/** Settles pending microtasks and I/O callbacks, without waiting on any timer. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function failureOf(promise: Promise<unknown>): Promise<FlowAssertionError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FlowAssertionError) return error;
    throw error;
  }
  throw new Error('expected the assertion to fail, it passed');
}

describe('flow(log, id).toReach', () => {
  it('resolves on arrival of the awaited event (push), long before its deadline', async () => {
    const { log, correlationId, emit } = setup();
    let reached: string | undefined;
    const waiting = flow(log, correlationId)
      .toReach('ShipmentScheduled', { within: 10_000 })
      .then((event) => (reached = event.identity.eventType));
    emit('OrderPlaced');
    await tick();
    expect(reached).toBeUndefined();
    const started = performance.now();
    emit('ShipmentScheduled');
    await tick();
    expect(reached).toBe('ShipmentScheduled');
    expect(performance.now() - started).toBeLessThan(1000);
    await waiting;
  });

  it('resolves at once when the event was already observed', async () => {
    const { log, correlationId, emit } = setup();
    emit('OrderPlaced');
    const event = await flow(log, correlationId).toReach('OrderPlaced', { within: 0 });
    expect(event.seq).toBe(1);
  });

  it('fails with the expectation, the waited time, what was expected next and the timeline', async () => {
    const { log, correlationId, emit } = setup();
    emit('OrderPlaced');
    emit('PaymentFailed');
    emit('OrderCancelled');
    const error = await failureOf(flow(log, correlationId).toReach('ShipmentScheduled', { within: 60 }));
    expect(error.code).toBe('timeout');
    expect(error.failure.waitedMs).toBeGreaterThanOrEqual(59);
    expect(error.message).toContain(`Expected flow ${correlationId} to reach ShipmentScheduled within 60 ms`);
    expect(error.message).toMatch(/failed \(timeout\) after waiting \d+ ms/);
    expect(error.message).toContain('expected next: ShipmentScheduled');
    expect(error.message).toContain('observed: last observed OrderCancelled (3 deliveries in total)');
    expect(error.message).toContain(`Timeline of correlation ${correlationId} (3 deliveries):`);
    expect(error.message).toMatch(/0 +OrderPlaced[\s\S]*1 +└ PaymentFailed[\s\S]*2 + {2}└ OrderCancelled/);
  });

  it('only considers its own correlation', async () => {
    const { log, correlationId } = setup();
    const other = setup();
    log.record(asDelivery(troupeMessage('X', 'a.x', other.correlationId, newEventId())));
    const error = await failureOf(flow(log, correlationId).toReach('X', { within: 10 }));
    expect(error.message).toContain('nothing observed for this correlation');
    expect(error.message).toContain('(nothing observed)');
  });
});

describe('toFollowChain', () => {
  it('resolves when the causal chain is complete, with the chain’s events', async () => {
    const { log, correlationId, emit } = setup();
    const chain = flow(log, correlationId).toFollowChain(
      ['OrderPlaced', 'PaymentCompleted', 'InventoryReserved'],
      {
        within: 5000,
      },
    );
    emit('OrderPlaced');
    emit('PaymentCompleted');
    emit('InventoryReserved');
    expect((await chain).map((e) => e.identity.eventType)).toEqual([
      'OrderPlaced',
      'PaymentCompleted',
      'InventoryReserved',
    ]);
  });

  it('requires causation, not just order, and names the missing step', async () => {
    const { log, correlationId, emit } = setup();
    emit('OrderPlaced');
    const paid = emit('PaymentCompleted');
    emit('InventoryReserved', { cause: newEventId() }); // right type, wrong cause
    const error = await failureOf(
      flow(log, correlationId).toFollowChain(['OrderPlaced', 'PaymentCompleted', 'InventoryReserved'], {
        within: 30,
      }),
    );
    expect(error.message).toContain(`expected next: InventoryReserved caused by PaymentCompleted (${paid})`);
    expect(error.message).toContain('chain stopped after OrderPlaced → PaymentCompleted');
  });
});

describe('never (a real window)', () => {
  it('passes only after watching the whole window', async () => {
    const { log, correlationId, emit } = setup();
    emit('OrderPlaced');
    const started = performance.now();
    await flow(log, correlationId).never('PaymentCompleted', { during: 80 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(79);
  });

  it('fails as soon as the forbidden event arrives inside the window', async () => {
    const { log, correlationId, emit } = setup();
    const verdict = failureOf(flow(log, correlationId).never('PaymentCompleted', { during: 10_000 }));
    await tick();
    emit('PaymentCompleted');
    const error = await verdict;
    expect(error.code).toBe('forbidden-event');
    expect(error.failure.waitedMs).toBeLessThan(1000);
    expect(error.message).toContain('never to emit PaymentCompleted during 10000 ms');
    expect(error.message).toMatch(/observed: PaymentCompleted \(delivery #1/);
  });

  it('fails at once when the event was already observed', async () => {
    const { log, correlationId, emit } = setup();
    emit('PaymentCompleted');
    const error = await failureOf(flow(log, correlationId).never('PaymentCompleted', { during: 10_000 }));
    expect(error.failure.waitedMs).toBeLessThan(1000);
  });
});

describe('exactlyOnce', () => {
  it('counts distinct events: a duplicate delivery of the same event passes', async () => {
    const { log, correlationId, emit } = setup();
    const id = emit('PaymentCompleted');
    emit('PaymentCompleted', { eventId: id, redelivered: true });
    await expect(
      flow(log, correlationId).exactlyOnce('PaymentCompleted', { within: 100, settle: 20 }),
    ).resolves.toMatchObject({ seq: 1 });
  });

  it('fails on a second distinct event inside the settle window, and on duplicates when counting deliveries', async () => {
    const { log, correlationId, emit } = setup();
    const first = emit('PaymentCompleted');
    const verdict = failureOf(
      flow(log, correlationId).exactlyOnce('PaymentCompleted', { within: 100, settle: 10_000 }),
    );
    await tick();
    emit('PaymentCompleted', { cause: first });
    const error = await verdict;
    expect(error.code).toBe('not-exactly-once');
    expect(error.message).toContain('observed: 2 distinct events of PaymentCompleted');

    const other = setup();
    const id = other.emit('PaymentCompleted');
    other.emit('PaymentCompleted', { eventId: id });
    const byDelivery = await failureOf(
      flow(other.log, other.correlationId).exactlyOnce('PaymentCompleted', {
        within: 10,
        settle: 10,
        deliveries: true,
      }),
    );
    expect(byDelivery.message).toContain('2 deliveries of PaymentCompleted');
  });

  it('fails when the event never comes', async () => {
    const { log, correlationId } = setup();
    const error = await failureOf(flow(log, correlationId).exactlyOnce('PaymentCompleted', { within: 10 }));
    expect(error.code).toBe('not-exactly-once');
    expect(error.message).toContain('expected next: PaymentCompleted');
  });
});

describe('quiescence', () => {
  it('is immediate when nothing is in flight (every event a leaf or with an observed effect)', async () => {
    const { log, correlationId, emit } = setup();
    emit('OrderPlaced');
    emit('OrderCancelled');
    emit('CustomerNotified');
    const started = performance.now();
    await flow(log, correlationId).quiescent({
      idleFor: 10_000,
      within: 20_000,
      leafTypes: ['CustomerNotified'],
    });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('falls back to inactivity, and fails when activity continues until the deadline', async () => {
    const { log, correlationId, emit } = setup();
    emit('OrderPlaced');
    const started = performance.now();
    await flow(log, correlationId).quiescent({ idleFor: 20, within: 1000 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(15); // waited for silence, not resolved at once

    const busy = setInterval(() => emit('Tick'), 5);
    try {
      const error = await failureOf(flow(log, correlationId).quiescent({ idleFor: 300, within: 600 }));
      expect(error.code).toBe('not-quiescent');
      expect(error.message).toContain('still active');
      const whole = await failureOf(quiescent(log, { idleFor: 300, within: 500 }));
      expect(whole.code).toBe('not-quiescent');
    } finally {
      clearInterval(busy);
    }
    await quiescent(log, { idleFor: 20, within: 1000 });
  });
});

describe('eventually and holdsFor', () => {
  it('eventually re-evaluates on every change (push) and resolves with the probe’s value', async () => {
    const { log, correlationId, emit } = setup();
    let evaluations = 0;
    const result = eventually(
      () => {
        evaluations++;
        return log.byCorrelation(correlationId).length >= 2 ? 'two' : undefined;
      },
      { within: 10_000, changes: log },
    );
    await tick();
    expect(evaluations).toBe(1);
    emit('A');
    await tick();
    expect(evaluations).toBe(2); // one per delivery: nothing runs between deliveries
    emit('B');
    await expect(result).resolves.toBe('two');
    expect(evaluations).toBe(3);
  });

  it('eventually without a change source retries external state, and fails with the last error as cause', async () => {
    let calls = 0;
    await expect(eventually(() => ++calls >= 3, { within: 1000 })).resolves.toBe(true);
    const error = await failureOf(
      eventually(
        () => {
          throw new Error('row not there');
        },
        { within: 20, description: 'the order row to exist' },
      ),
    );
    expect(error.message).toContain('Expected the order row to exist within 20 ms');
    expect(error.message).toContain('last probe error: row not there');
    expect((error.cause as Error).message).toBe('row not there');
  });

  it('eventually keeps its hard deadline when the probe itself hangs', async () => {
    const error = await failureOf(
      eventually(() => new Promise<boolean>(() => undefined), { within: 30, description: 'a hung query' }),
    );
    expect(error.code).toBe('timeout');
    expect(error.message).toContain('last probe error: the probe was still running at the deadline');
  });

  it('holdsFor checks on every change and fails at the first violation, saying when', async () => {
    const { log, correlationId, emit } = setup();
    const charges = (): number =>
      log.byCorrelation(correlationId).filter((e) => e.identity?.eventType === 'PaymentCompleted').length;
    const started = performance.now();
    await holdsFor(() => charges() <= 1, { during: 50, changes: log });
    expect(performance.now() - started).toBeGreaterThanOrEqual(49);

    const verdict = failureOf(
      holdsFor(() => charges() <= 1 || `${charges()} charges`, {
        during: 10_000,
        changes: log,
        description: 'at most one charge',
        timeline: () => log.byCorrelation(correlationId),
      }),
    );
    emit('PaymentCompleted');
    emit('PaymentCompleted');
    const error = await verdict;
    expect(error.code).toBe('condition-violated');
    expect(error.failure.waitedMs).toBeLessThan(1000);
    expect(error.message).toMatch(
      /at most one charge to hold for 10000 ms[\s\S]*violated after \d+ ms: 2 charges/,
    );
    expect(error.message).toContain('PaymentCompleted');
  });

  it('rejects malformed windows with a clear message', async () => {
    const { log, correlationId } = setup();
    await expect(flow(log, correlationId).never('X', { during: -1 })).rejects.toThrow(
      /during must be a finite number of ms ≥ 0, got -1/,
    );
    expect(() => flow(log, '')).toThrow(/correlationId is empty/);
    await expect(holdsFor(() => true, { during: 10, every: Number.NaN })).rejects.toThrow(
      /every must be a finite number of ms ≥ 0, got NaN/,
    );
  });
});

describe('Jest matchers', () => {
  it('await expect(flow).toEventuallyEmit / toEventuallyFollowChain / toNeverEmit / toEmitExactlyOnce', async () => {
    const { log, correlationId, emit } = setup();
    const f = flow(log, correlationId);
    const emitted = expect(f).toEventuallyEmit('ShipmentScheduled', { within: 5000 });
    emit('OrderPlaced');
    emit('ShipmentScheduled');
    await emitted;
    await expect(f).toEventuallyFollowChain(['OrderPlaced', 'ShipmentScheduled'], { within: 10 });
    await expect(f).toNeverEmit('OrderCancelled', { during: 20 });
    await expect(f).toEmitExactlyOnce('ShipmentScheduled', { within: 10, settle: 10 });
    await expect(f).toBecomeQuiescent({ idleFor: 10, within: 1000 });
  });

  it('a failing matcher reports the flow’s expectation and timeline', async () => {
    const { log, correlationId, emit } = setup();
    emit('OrderPlaced');
    await expect(
      expect(flow(log, correlationId)).toEventuallyEmit('ShipmentScheduled', { within: 20 }),
    ).rejects.toThrow(
      /to reach ShipmentScheduled within 20 ms[\s\S]*expected next: ShipmentScheduled[\s\S]*OrderPlaced/,
    );
    await expect(expect(flow(log, correlationId)).not.toEventuallyEmit('X', { within: 1 })).rejects.toThrow(
      /use toNeverEmit/,
    );
    await expect(expect('not a flow').toEventuallyEmit('X', { within: 1 })).rejects.toThrow(
      /expected a Flow/,
    );
  });
});

describe('typed expect from @jest/globals', () => {
  it('has the flow matchers too', async () => {
    const { log, correlationId, emit } = setup();
    emit('OrderPlaced');
    await globalsExpect(flow(log, correlationId)).toEventuallyEmit('OrderPlaced', { within: 10 });
  });
});

describe('black-box: a foreign message format through a custom adapter', () => {
  it('follows a chain whose identity lives in headers and differently named fields', async () => {
    const log = new EventLog({ adapter: foreignAdapter });
    const created = foreignMessage('order.created', 'legacy.order.created', 'trace-9', undefined);
    const chain = flow(log, 'trace-9').toFollowChain(['order.created', 'invoice.sent'], { within: 5000 });
    log.record(asDelivery(created));
    log.record(asDelivery(foreignMessage('invoice.sent', 'billing.invoice.sent', 'trace-9', created.id)));
    expect((await chain).map((e) => e.routingKey)).toEqual(['legacy.order.created', 'billing.invoice.sent']);
    const error = await failureOf(flow(log, 'trace-9').toReach('parcel.shipped', { within: 10 }));
    expect(error.message).toMatch(/order\.created +legacy[\s\S]*└ invoice\.sent +billing/);
  });
});
