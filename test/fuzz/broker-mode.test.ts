import { shopBrokerTarget } from '../../reference-services/target/shop-broker-target';
import { fuzzBroker, formatBrokerFuzzReport } from '../../harness/fuzz/broker/fuzz-broker';
import type { BrokerTarget } from '../../harness/fuzz/broker/broker-target';
import { seededRandom } from '../../harness/fuzz/_internals/seeded-random';
import { DEFAULT_AMQP_URL } from '../../harness/transport/amqp/amqp-transport';
import { ownConnectionPrefix } from '../../harness/transport/amqp/connection-name';
import { listConnections } from '../../harness/transport/amqp/rabbitmqctl';
import { toyBrokerTarget } from './fixtures/toy-broker-target';

// Live RabbitMQ (AMQP_URL or the local broker). Every session uses its own namespace, deletes its queues and
// exchanges, and cuts only its own services' connection (by name). Seeds are fixed and printed in the report.
const AMQP_URL = process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL;

describe('live-broker fuzzing of the reference services', () => {
  it('the correct services survive duplicates, delayed and held-back copies and a connection cut', async () => {
    const report = await fuzzBroker(shopBrokerTarget(), {
      flows: 20,
      seed: 4711,
      chaos: { duplicateRate: 0.3 },
      cuts: 1,
      timeoutMs: 45_000,
      quietMs: 400,
    });
    console.log(formatBrokerFuzzReport(report));
    expect(report.violations).toEqual([]);
    expect(report.accounting.totals).toMatchObject({ flows: 20, lost: 0, duplicated: 0, unexpected: 0 });
    expect(report.cuts).toBe(1);
    expect(report.chaos.immediate + report.chaos.delayed + report.chaos.heldBack).toBeGreaterThan(0);
    expect(report.deliveries).toBeGreaterThan(report.chaos.observed);
    expect(report.ok).toBe(true);
  });

  it('finds payment-not-idempotent on the broker: double charges show up as violations and duplicated flows', async () => {
    const report = await fuzzBroker(shopBrokerTarget({ bugs: ['payment-not-idempotent'] }), {
      flows: 20,
      seed: 4712,
      chaos: { duplicateRate: 0.5 },
      cuts: 0,
      timeoutMs: 45_000,
      quietMs: 400,
    });
    console.log(formatBrokerFuzzReport(report));
    expect(report.ok).toBe(false);
    expect(report.violations.map((v) => v.name)).toContain('at most one PaymentCompleted per orderId');
    expect(report.accounting.totals.duplicated).toBeGreaterThan(0);
  });

  it('works black-box on services Troupe did not write (foreign message format, own adapter)', async () => {
    const clean = await fuzzBroker(toyBrokerTarget(), {
      flows: 15,
      seed: 77,
      chaos: { duplicateRate: 0.5 },
      cuts: 1,
      quietMs: 300,
    });
    console.log(formatBrokerFuzzReport(clean));
    expect(clean.ok).toBe(true);
    expect(clean.accounting.totals).toMatchObject({ flows: 15, lost: 0, duplicated: 0 });
    const buggy = await fuzzBroker(toyBrokerTarget(['billing-not-idempotent']), {
      flows: 15,
      seed: 78,
      chaos: { duplicateRate: 0.5 },
      cuts: 0,
      quietMs: 300,
    });
    console.log(formatBrokerFuzzReport(buggy));
    expect(buggy.ok).toBe(false);
    expect(buggy.violations.map((v) => v.name)).toContain('at most one TaskCharged per task');
  });

  it('never runs a connection cut while the broker is restarting (faults are serialized)', async () => {
    // A fake rabbitmqctl: the restart is simulated (nothing real is stopped), cuts list no connection.
    let down = false;
    const calls: string[] = [];
    const run = async (_command: string, args: readonly string[]): Promise<string> => {
      const verb = args.find((a) => !a.startsWith('-')) ?? '';
      calls.push(verb);
      if (verb === 'list_connections' && down) throw new Error('rabbit app not running');
      if (verb === 'stop_app') down = true;
      if (verb === 'start_app') {
        await new Promise((resolve) => setImmediate(resolve));
        down = false;
      }
      return '';
    };
    const report = await fuzzBroker(shopBrokerTarget(), {
      flows: 12,
      seed: 4713,
      cuts: 3,
      restartBroker: true,
      concurrency: 6,
      quietMs: 200,
      rabbitmqctl: { command: 'fake-rabbitmqctl', run },
    });
    expect(calls.filter((c) => c !== 'list_connections')).toEqual(['stop_app', 'start_app', 'await_startup']);
    expect(calls.filter((c) => c === 'list_connections')).toHaveLength(3);
    expect(report).toMatchObject({ cuts: 3, restarts: 1, ok: true });
  });

  it('a flow that fails to start ends the session: no further flow is started, the error surfaces', async () => {
    const base = toyBrokerTarget();
    const calls: number[] = [];
    const failing: BrokerTarget = {
      ...base,
      start: async (context) => {
        const system = await base.start(context);
        return {
          exchange: system.exchange,
          startFlow: (index) => {
            calls.push(index);
            return index === 2 ? Promise.reject(new Error('driver down')) : system.startFlow(index);
          },
          stop: () => system.stop(),
        };
      },
    };
    await expect(fuzzBroker(failing, { flows: 40, seed: 79, concurrency: 4, cuts: 0 })).rejects.toThrow(
      'driver down',
    );
    // Each worker finishes the flow it was starting; none takes another one.
    expect(calls.length).toBeLessThanOrEqual(2 + 4);
  });

  it('a shop that fails to start closes its connection', async () => {
    const namespace = 'Not.A-Namespace'; // a valid connection name, an invalid namespace: startShop throws
    await expect(
      shopBrokerTarget().start({ brokerUrl: AMQP_URL, namespace, random: seededRandom(1), flows: 1 }),
    ).rejects.toMatchObject({ code: 'invalid-config' });
    const prefix = ownConnectionPrefix(`fuzz-services-${namespace}`);
    const own = async (): Promise<string[]> =>
      (await listConnections()).map((c) => c.name ?? '').filter((name) => name.startsWith(prefix));
    // The broker may list a connection for a moment after its close-ok: a deadline, not a sleep.
    const deadline = Date.now() + 5_000;
    let left = await own();
    while (left.length > 0 && Date.now() < deadline) left = await own();
    expect(left).toEqual([]);
  });

  it('leaves no connection of its own behind', async () => {
    // The broker may list a connection for a moment after its close-ok: wait for the condition, with a deadline.
    const own = async (): Promise<string[]> =>
      (await listConnections())
        .map((c) => c.name ?? '')
        .filter((name) => name.startsWith('troupe.fuzz-') && name.includes(`.${process.pid}.`));
    const deadline = Date.now() + 5_000;
    let left = await own();
    while (left.length > 0 && Date.now() < deadline) left = await own();
    expect(left).toEqual([]);
  });
});
