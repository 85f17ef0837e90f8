import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Connection } from 'rabbitmq-client';
import { validateConfig } from '../../../harness/config/load-config';
import type { TroupeConfig } from '../../../harness/config/config-schema';
import { fuzzBroker, formatBrokerFuzzReport } from '../../../harness/fuzz/broker/fuzz-broker';
import { invariant } from '../../../harness/fuzz/invariant';
import { proxyMessagePlan } from '../../../harness/fuzz/broker/proxy-message-plan';
import { startProxyRouter } from '../../../harness/fuzz/broker/proxy-router';
import { targetFromConfig } from '../../../harness/target/config-target';
import { liveProcessCount } from '../../../harness/target/process-registry';
import { DEFAULT_AMQP_URL } from '../../../harness/transport/amqp/amqp-transport';
import { connectionName } from '../../../harness/transport/amqp/connection-name';

// `troupe fuzz --mode broker` on a manifest target: a foreign service as a separate process (plain JS, amqplib),
// a fanout exchange it declares itself, bodies without ids. Seeds are fixed; each report prints its seed.
const url = process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL;
const fixtures = path.join(__dirname, 'fixtures');
const exchange = `it.fuzz.${randomBytes(4).toString('hex')}`;

function manifestTarget(env: Record<string, string>) {
  const config: TroupeConfig = {
    name: 'fanout-saga',
    broker: { exchanges: [{ name: exchange, type: 'fanout' }] },
    services: {
      payments: {
        command: process.execPath,
        args: ['payments.js'],
        brokerUrlEnv: 'BROKER',
        env: { EXCHANGE: exchange, ...env },
        ready: { log: 'payments listening', timeout: '10s' },
      },
    },
    adapter: { json: { type: 'event' } },
    flows: {
      order: {
        start: { publish: { exchange, body: { event: 'OrderPlaced', data: { orderId: '{{flow.key}}' } } } },
        key: 'data.orderId',
        terminal: ['OrderShipped'],
        atMostOnce: ['PaymentProcessed', 'OrderShipped'],
        invariants: [invariant.atMostOne('PaymentProcessed').per('data.orderId')],
      },
    },
  };
  const file = path.join(fixtures, 'troupe.config.json');
  return targetFromConfig({ file, dir: fixtures, config: validateConfig(config, file) });
}

describe('broker fuzzing on a manifest target (fanout, no ids, services as processes)', () => {
  afterAll(async () => {
    const admin = new Connection({ url, connectionName: connectionName('it-fuzz-admin') });
    admin.on('error', () => undefined);
    await admin.exchangeDelete({ exchange }).catch(() => undefined);
    await admin.close();
  });

  it('an idempotent service passes under 40 % duplicates (chaos copies are never counted as its own)', async () => {
    const report = await fuzzBroker(manifestTarget({}), {
      flows: 12,
      seed: 9001,
      chaos: { duplicateRate: 0.4 },
      cuts: 0,
      quietMs: 300,
      timeoutMs: 30_000,
    });
    console.log(formatBrokerFuzzReport(report));
    expect(report.violations).toEqual([]);
    expect(report.accounting.totals).toMatchObject({ flows: 12, lost: 0, duplicated: 0, unexpected: 0 });
    expect(report.chaos.immediate + report.chaos.delayed + report.chaos.heldBack).toBeGreaterThan(0);
    expect(report.injected).toBeGreaterThan(12); // 12 flow starts + the chaos copies
    expect(report.ok).toBe(true);
    expect(liveProcessCount()).toBe(0);
  });

  it('a service that charges every duplicate is caught: identical id-less publications count twice', async () => {
    const report = await fuzzBroker(manifestTarget({ NOT_IDEMPOTENT: '1' }), {
      flows: 12,
      seed: 9002,
      chaos: { duplicateRate: 0.6 },
      cuts: 0,
      quietMs: 300,
      timeoutMs: 30_000,
    });
    console.log(formatBrokerFuzzReport(report));
    expect(report.ok).toBe(false);
    expect(report.violations.map((v) => v.name)).toContain('at most one PaymentProcessed per data.orderId');
    expect(report.accounting.totals.duplicated).toBeGreaterThan(0);
  });

  it('a cut the service does not survive fails the session, naming the service, exit code and last lines', async () => {
    const report = await fuzzBroker(manifestTarget({}), {
      flows: 10,
      seed: 9003,
      chaos: { duplicateRate: 0 },
      cuts: 1,
      quietMs: 200,
      timeoutMs: 20_000,
    });
    console.log(formatBrokerFuzzReport(report));
    expect(report.cuts).toBe(1);
    expect(report.ok).toBe(false);
    const exit = report.violations.find((v) => v.property === 'service');
    expect(exit?.name).toBe('service payments exited mid-run');
    expect(exit?.detail).toMatch(/exit code 2; last lines:[\s\S]*connection lost/);
    expect(liveProcessCount()).toBe(0);
  });

  // Message faults on the real deliveries through the proxy (a seeded plan, no copies on the exchange): the
  // duplicates reach only the consuming service, and the tap still counts publications, not deliveries.
  const proxyFuzz = async (env: Record<string, string>, seed: number) => {
    const target = manifestTarget(env);
    const router = await startProxyRouter({
      upstream: url,
      services: ['payments'],
      seed,
      adapter: target.adapter,
    });
    try {
      const report = await fuzzBroker(target, {
        flows: 12,
        seed,
        chaos: { duplicateRate: 0.5 },
        cuts: 0,
        quietMs: 300,
        timeoutMs: 30_000,
        router,
      });
      console.log(formatBrokerFuzzReport(report));
      return report;
    } finally {
      await router.stop();
    }
  };

  it('proxy message faults: an idempotent service passes; the plan and the applied faults are in the report', async () => {
    const report = await proxyFuzz({}, 9005);
    const plan = report.proxyPlan;
    expect(plan?.seed).toBe(9005);
    expect(plan?.faults).toContainEqual(expect.objectContaining({ kind: 'duplicate', service: 'payments' }));
    expect(report.faultLog?.filter((entry) => entry.kind === 'duplicate').length).toBeGreaterThan(0);
    expect(report.chaos.observed).toBe(0); // no copy chaos on the exchange
    expect(report.injected).toBe(12); // only the flow starts: proxy duplicates are deliveries, not publications
    expect(formatBrokerFuzzReport(report)).toMatch(
      /applied faults \(the proxy's fault log\):\n.*payments \(conn \d+\)\s+\S+\s+delivery of (OrderPlaced|PaymentProcessed|OrderShipped) /,
    );
    expect(report.violations).toEqual([]);
    expect(report.accounting.totals).toMatchObject({ flows: 12, lost: 0, duplicated: 0, unexpected: 0 });
    expect(report.publications).toBe(24); // PaymentProcessed and OrderShipped per order, once each
    expect(report.ok).toBe(true);
    expect(liveProcessCount()).toBe(0);
  });

  it('proxy message faults: a service that charges every duplicate delivery is caught, with the seed', async () => {
    const report = await proxyFuzz({ NOT_IDEMPOTENT: '1' }, 9006);
    expect(report.ok).toBe(false);
    expect(formatBrokerFuzzReport(report)).toContain('seed 9006');
    expect(report.violations.map((v) => v.name)).toContain('at most one PaymentProcessed per data.orderId');
    expect(report.faultLog?.some((entry) => entry.kind === 'duplicate' && entry.service === 'payments')).toBe(
      true,
    );
    expect(liveProcessCount()).toBe(0);
  });

  it('the proxy plan is a function of the seed (--seed replays it)', () => {
    const shape = { services: ['payments', 'shipping'], flows: 20, duplicateRate: 0.3, cuts: 1 };
    expect(proxyMessagePlan({ seed: 42, ...shape })).toEqual(proxyMessagePlan({ seed: 42, ...shape }));
    expect(proxyMessagePlan({ seed: 42, ...shape })).not.toEqual(proxyMessagePlan({ seed: 43, ...shape }));
  });

  it('through the chaos proxy: each service gets its own listener, and a cut closes exactly its connection', async () => {
    const router = await startProxyRouter({ upstream: url, services: ['payments'] });
    const lines: string[] = [];
    try {
      const report = await fuzzBroker(manifestTarget({}), {
        flows: 10,
        seed: 9004,
        chaos: { duplicateRate: 0.2 },
        cuts: 1,
        quietMs: 200,
        timeoutMs: 20_000,
        router,
        log: (line) => lines.push(line),
      });
      console.log(formatBrokerFuzzReport(report));
      expect(lines).toContainEqual(
        expect.stringMatching(/^cut 1 connection\(s\) of payments \(chaos proxy\) at flow \d+$/),
      );
      // This service does not reconnect: the cut is a finding, named.
      expect(report.violations.find((v) => v.property === 'service')?.name).toBe(
        'service payments exited mid-run',
      );
    } finally {
      await router.stop();
    }
    expect(liveProcessCount()).toBe(0);
  });
});
