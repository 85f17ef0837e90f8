import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Connection } from 'rabbitmq-client';
import { validateConfig } from '../../../harness/config/load-config';
import type { TroupeConfig } from '../../../harness/config/config-schema';
import { fuzzBroker, formatBrokerFuzzReport } from '../../../harness/fuzz/broker/fuzz-broker';
import { invariant } from '../../../harness/fuzz/invariant';
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
