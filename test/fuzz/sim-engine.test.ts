import { fuzzSimulation, parseReplayToken } from '../../harness/fuzz/fuzz-simulation';
import { formatFuzzReport } from '../../harness/fuzz/report';
import { simulate } from '../../harness/fuzz/simulate';
import { checkSchedule } from '../../harness/fuzz/check-schedule';
import type { SimEnv, SimTarget } from '../../harness/fuzz/sim-target';
import { shopSimTarget } from '../../reference-services/target/shop-sim-target';
import { toyBillingTarget, type ToyWorkload } from './fixtures/toy-billing';

const seed = 20261126;

describe('simulation engine on a toy choreography Troupe did not write', () => {
  it('passes the correct services', async () => {
    const report = await fuzzSimulation(toyBillingTarget(), { runs: 150, seed });
    console.log(formatFuzzReport(report));
    expect(report.failure).toBeUndefined();
    expect(report.executed).toBeGreaterThanOrEqual(150);
  });

  it('finds the non-idempotent consumer, shrinks to one duplicate and replays it', async () => {
    const target = toyBillingTarget(['billing-not-idempotent']);
    const report = await fuzzSimulation(target, { runs: 300, seed });
    const text = formatFuzzReport(report);
    console.log(text);
    const failure = report.failure;
    if (!failure) throw new Error(`bug not found in 300 runs (seed ${seed})`);
    expect(failure.schedule.faults).toHaveLength(1);
    expect(failure.schedule.faults[0]).toMatchObject({ consumer: 'toy.billing' });
    expect(failure.violations.map((v) => v.property)).toContain('idempotency');
    expect(text).toContain('Timeline:');
    expect(text).toContain(`--replay '${failure.replay}'`);

    const token = parseReplayToken(failure.replay);
    const replayed = await fuzzSimulation(target, { seed: token.seed, path: token.path, runs: 300 });
    expect(replayed.failure?.schedule).toEqual(failure.schedule);
    expect(replayed.failure?.workload).toEqual(failure.workload);
  });

  it('is deterministic: the same workload and schedule give the same run, event for event', async () => {
    const target = toyBillingTarget();
    const workload = { balance: 6, costs: [2, 5, 3] };
    const schedule = {
      faults: [
        { kind: 'duplicate' as const, consumer: 'toy.billing', nth: 1, copies: 2, lag: 1 },
        { kind: 'crash' as const, consumer: 'toy.worker', nth: 0, point: 'after-commit' },
        { kind: 'delay' as const, consumer: 'toy.billing', nth: 0, by: 2 },
      ],
    };
    const a = await simulate(target, workload, schedule, { record: true });
    const b = await simulate(target, workload, schedule, { record: true });
    expect(a.events).toEqual(b.events);
    expect(a.timeline).toEqual(b.timeline);
    // The delay reorders: task 2 (cost 5) is billed before task 1 (cost 2) and wins the balance.
    expect(a.state).toEqual({ balance: 1, done: expect.any(Array) as unknown });
    expect(a.timeline.some((e) => e.kind === 'deliver' && e.redelivered)).toBe(true);
  });

  it('reports a requeue loop as a convergence violation instead of hanging', async () => {
    const base = toyBillingTarget();
    const looping: SimTarget<ToyWorkload> = {
      ...base,
      name: 'always-requeue',
      start: async (env, workload) => {
        // A second consumer, on a queue of its own, that never settles its message.
        await env.transport.declare({
          exchanges: [{ name: 'toy', type: 'topic' }],
          queues: [{ name: 'toy.stuck', exchange: 'toy', bindings: ['task.requested'] }],
        });
        await env.transport.consume('toy.stuck', () => Promise.resolve('requeue'));
        return base.start(env, workload);
      },
    };
    const { violations } = await checkSchedule(
      looping,
      { balance: 5, costs: [1] },
      { faults: [] },
      { maxSteps: 200 },
    );
    expect(violations).toContainEqual(
      expect.objectContaining({ property: 'convergence', name: 'quiescence' }),
    );
  });

  it('stops the system and closes the transport when the run fails', async () => {
    const base = toyBillingTarget();
    const stopped: string[] = [];
    let transport: SimEnv['transport'] | undefined;
    const failing: SimTarget<ToyWorkload> = {
      ...base,
      start: async (env, workload) => {
        transport = env.transport;
        const system = await base.start(env, workload);
        return {
          state: () => {
            throw new Error('state unreadable');
          },
          stop: async () => {
            await system.stop?.();
            stopped.push(env.transport.pendingCount() === 0 ? 'drained' : 'pending');
          },
        };
      },
    };
    await expect(simulate(failing, { balance: 5, costs: [1] }, { faults: [] })).rejects.toThrow(
      'state unreadable',
    );
    expect(stopped).toEqual(['drained']);
    await expect(
      transport?.publish('toy', { routingKey: 'k', body: new Uint8Array() }),
    ).rejects.toMatchObject({
      code: 'transport-closed',
    });
  });

  it('starts a system when called outside any promise job (a CommonJS script calling simulate first thing)', async () => {
    // From a macrotask callback, a tick runs before the microtasks queued with it: the start must still be awaited.
    const target = shopSimTarget({ maxOrders: 1 });
    const workload = {
      orders: [{ customer: 0, items: [{ sku: 0, quantity: 1, unitPrice: 100 }], fraudulent: false }],
      stock: [5, 5, 5],
      declines: -1,
      refundFailures: -1,
    };
    const run = await new Promise<Awaited<ReturnType<typeof simulate>>>((resolve, reject) => {
      setImmediate(() => {
        simulate(target, workload, { faults: [] }).then(resolve, reject);
      });
    });
    expect(run.quiesced).toBe(true);
    expect(run.events.map((event) => event.eventType)).toContain('OrderPlaced');
  });

  it('rejects a malformed replay token with a coded error', () => {
    expect(() => parseReplayToken('nope')).toThrow(/Invalid replay token "nope"/);
    let error: unknown;
    try {
      parseReplayToken('42:x');
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'invalid-replay-token' });
  });
});
