import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { Connection } from 'rabbitmq-client';
import { validateConfig } from '../../../harness/config/load-config';
import type { TroupeConfig } from '../../../harness/config/config-schema';
import { invariant } from '../../../harness/fuzz/invariant';
import { seededRandom } from '../../../harness/fuzz/_internals/seeded-random';
import { accountFlows } from '../../../harness/observe/flow-accounting';
import { countPublications } from '../../../harness/observe/publications';
import { startSystemTap } from '../../../harness/observe/system-tap';
import { targetFromConfig } from '../../../harness/target/config-target';
import type { ServiceExit, StartedTarget } from '../../../harness/target/target';
import { liveProcessCount } from '../../../harness/target/process-registry';
import { TargetError } from '../../../harness/target/target-error';
import { DEFAULT_AMQP_URL } from '../../../harness/transport/amqp/amqp-transport';
import { connectionName } from '../../../harness/transport/amqp/connection-name';
import { alive, until } from '../../support/wait-until';

const url = process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL;
const fixtures = path.join(__dirname, 'fixtures');
const context = (extra: object = {}) => ({ namespace: 'it-target', random: seededRandom(1), ...extra });

function target(config: TroupeConfig) {
  const file = path.join(fixtures, 'troupe.config.json');
  return targetFromConfig({ file, dir: fixtures, config: validateConfig(config, file) });
}

/** A port nothing listens on right now (the service will take it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function rejection(promise: Promise<unknown>): Promise<TargetError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof TargetError)) throw new Error(`expected a TargetError, got ${String(error)}`);
  return error;
}

describe('manifest target: services as processes (real RabbitMQ)', () => {
  const exchange = `it.target.${randomBytes(4).toString('hex')}`;
  let admin: Connection;

  beforeAll(() => {
    admin = new Connection({ url, connectionName: connectionName('it-target-admin') });
    admin.on('error', () => undefined);
  });
  afterAll(async () => {
    await admin.exchangeDelete({ exchange }).catch(() => undefined);
    await admin.close();
  });

  const payments = (env: Record<string, string> = {}) => ({
    command: process.execPath,
    args: ['payments.js'],
    brokerUrlEnv: 'BROKER',
    env: { EXCHANGE: exchange, ...env },
    ready: { log: '/payments listening on amq\\.gen-/', timeout: '10s' },
  });
  const manifest = (env: Record<string, string> = {}): TroupeConfig => ({
    broker: { exchanges: [{ name: exchange, type: 'fanout' }] },
    services: { payments: payments(env) },
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
  });

  /** Starts the target, taps it, runs three flows to their end; returns what was counted. */
  async function runFlows(env: Record<string, string>) {
    const t = target(manifest(env));
    const started: StartedTarget = await t.start(context());
    const observer = started.openTransport('it-target-tap');
    const tap = await startSystemTap({
      transport: observer,
      exchanges: started.exchanges,
      adapter: started.adapter,
    });
    try {
      const flows = [];
      for (let i = 0; i < 3; i++) flows.push(await started.startFlow(i));
      const keys = flows.map((f) => f.key);
      await until(() =>
        keys.every((key) =>
          tap.log
            .all()
            .some((e) => e.identity?.eventType === 'OrderShipped' && e.identity.businessKey === key),
        ),
      );
      // Let a second charge (if any) arrive: the planted bug publishes it right after the first.
      await until(
        () =>
          tap.log.all().filter((e) => e.identity?.eventType === 'PaymentProcessed').length >=
          (env['CHARGE_TWICE'] ? 6 : 3),
      );
      const count = countPublications(tap.log.all());
      const violations =
        t.flows[0]?.invariants.flatMap((inv) => inv.check({ events: count.events, flows: keys })) ?? [];
      const accounting = accountFlows(tap.log.all(), {
        terminalTypes: ['OrderShipped'],
        expectedFlows: flows.map((f) => f.correlationId),
        atMostOnce: ['PaymentProcessed', 'OrderShipped'],
      });
      return { count, violations, accounting, output: started.service('payments').output() };
    } finally {
      await tap.stop();
      await started.stop();
    }
  }

  it('fanout, no ids: the correct service passes; the one that charges twice is caught per order', async () => {
    const clean = await runFlows({});
    expect(clean.violations).toEqual([]);
    expect(clean.accounting.valid).toBe(true);
    expect(clean.count.injected).toBe(3); // the three OrderPlaced Troupe published
    expect(clean.output.map((line) => line.text)).toEqual([
      expect.stringMatching(/^payments listening on amq\.gen-/),
    ]);

    const buggy = await runFlows({ CHARGE_TWICE: '1' });
    expect(buggy.violations).toHaveLength(3);
    expect(buggy.violations[0]).toMatch(/^data\.orderId .+: 2 × PaymentProcessed$/);
    expect(buggy.accounting.totals.duplicated).toBe(3);
  });

  it('an existing exchange of another type is refused, never redeclared; nothing is left running', async () => {
    const other = `${exchange}.topic`;
    await admin.exchangeDeclare({ exchange: other, type: 'topic', autoDelete: true });
    try {
      const t = target({
        ...manifest(),
        broker: { exchanges: [{ name: other, type: 'fanout' }] },
        flows: {},
      });
      const error = await rejection(t.start(context()));
      expect(error.code).toBe('exchange-mismatch');
      expect(error.message).toMatch(
        new RegExp(
          `exchange "${other.replace(/\./g, '\\.')}" is a topic exchange on the broker, but the manifest says fanout`,
        ),
      );
      // Still there, still a topic exchange (a redeclaration as fanout would have failed or replaced it).
      await expect(
        admin.exchangeDeclare({ exchange: other, type: 'topic', autoDelete: true }),
      ).resolves.not.toThrow();
      expect(liveProcessCount()).toBe(0); // the payments service it had started is gone
    } finally {
      await admin.exchangeDelete({ exchange: other }).catch(() => undefined);
    }
  });

  it('a service that exits before it is ready fails the start naming it, its exit code and last lines', async () => {
    const t = target({
      broker: { exchanges: [{ name: exchange, type: 'fanout' }] },
      services: {
        billing: {
          command: process.execPath,
          args: ['crashes.js'],
          env: { EARLY: '1' },
          ready: { log: 'ready' },
        },
      },
    });
    const error = await rejection(t.start(context()));
    expect(error).toMatchObject({ code: 'exited-before-ready', service: 'billing' });
    expect(error.message).toMatch(/service billing exited before it was ready \(exit code 3\)/);
    expect([...error.lastLines].sort()).toEqual(['[stderr] config: missing PAYMENT_KEY', 'booting']);
  });

  it('a readiness timeout shows the last 20 lines; SIGTERM ignored → SIGKILL after the grace; the whole group is gone', async () => {
    const t = target({
      broker: { exchanges: [{ name: exchange, type: 'fanout' }] },
      services: {
        stubborn: {
          command: process.execPath,
          args: ['stubborn.js'],
          ready: { tcp: 1, timeout: '1500ms' },
          stop: { grace: '200ms' },
        },
      },
    });
    const error = await rejection(t.start(context()));
    expect(error.code).toBe('ready-timeout');
    expect(error.message).toMatch(/not ready within 1500 ms \(waited for a listener on 127\.0\.0\.1:1\)/);
    expect(error.lastLines).toHaveLength(20);
    const pids = (error.lastLines.at(-1) ?? '').match(/^pids (\d+) (\d+)$/);
    expect(pids).not.toBeNull();
    const [leader, child] = [Number(pids?.[1]), Number(pids?.[2])];
    await until(() => !alive(leader) && !alive(child));
  });

  it.each(['queue', 'tcp', 'http'] as const)(
    'ready: the %s probe waits until the service is up',
    async (kind) => {
      const port = await freePort();
      const queue = `${exchange}.probed`;
      const ready =
        kind === 'queue'
          ? { queue }
          : kind === 'tcp'
            ? { tcp: port }
            : { http: `http://127.0.0.1:${port}/health` };
      const t = target({
        broker: { exchanges: [{ name: exchange, type: 'fanout' }] },
        services: {
          probed: {
            command: process.execPath,
            args: ['probed.js'],
            env: { QUEUE: queue, PORT: String(port), DELAY_MS: '400' },
            ready: { ...ready, timeout: '10s' },
          },
        },
      });
      const started = await t.start(context());
      try {
        // Ready means the probe saw it: the line printed as it became ready is there.
        expect(
          started
            .service('probed')
            .output()
            .map((line) => line.text),
        ).toContain('consuming and listening');
      } finally {
        await started.stop();
      }
    },
  );

  it('stop: signal, grace, SIGKILL; a service exiting mid-run is reported with its code and lines', async () => {
    const exits: ServiceExit[] = [];
    const t = target({
      broker: { exchanges: [{ name: exchange, type: 'fanout' }] },
      services: {
        stubborn: {
          command: process.execPath,
          args: ['stubborn.js'],
          ready: { log: 'pids' },
          stop: { grace: '300ms' },
        },
        billing: {
          command: process.execPath,
          args: ['crashes.js'],
          env: { CRASH_AFTER_MS: '200' },
          ready: { log: 'ready' },
        },
        legacy: { external: true },
      },
    });
    const started = await t.start(context({ onServiceExit: (exit: ServiceExit) => exits.push(exit) }));
    try {
      await until(() => started.failure() !== undefined);
      expect(started.failure()).toMatchObject({ service: 'billing', code: 3, expected: false });
      // Two pipes: the order between stdout and stderr lines is not guaranteed, each stream's own order is.
      expect([...(started.failure()?.lastLines ?? [])].sort()).toEqual([
        '[stderr] config: missing PAYMENT_KEY',
        'booting',
        'ready',
      ]);
      expect(exits.map((exit) => exit.service)).toEqual(['billing']);
      await expect(started.service('legacy').stop()).rejects.toMatchObject({ code: 'not-managed' });
      expect(() => started.service('nope')).toThrow(
        /unknown service "nope" \(known: stubborn, billing, legacy\)/,
      );

      const stubborn = started.service('stubborn');
      const pids = stubborn.tail(1)[0]?.match(/^pids (\d+) (\d+)$/);
      const exit = await stubborn.stop();
      expect(exit).toMatchObject({ signal: 'SIGKILL', expected: true });
      expect(stubborn.output().map((line) => line.text)).toContain('ignoring SIGTERM');
      await until(() => !alive(Number(pids?.[1])) && !alive(Number(pids?.[2])));

      await stubborn.restart();
      expect(stubborn.running).toBe(true);
      expect(started.failure()?.service).toBe('billing'); // expected exits are not failures
    } finally {
      await started.stop();
    }
    expect(started.services.filter((s) => !s.external).every((s) => !s.running)).toBe(true);
  });
});

describe('flow starts: publish, http, run', () => {
  const exchange = `it.flowstart.${randomBytes(4).toString('hex')}`;
  const base = { broker: { exchanges: [{ name: exchange, type: 'fanout' as const }] } };
  afterAll(async () => {
    const admin = new Connection({ url, connectionName: connectionName('it-flowstart-admin') });
    admin.on('error', () => undefined);
    await admin.exchangeDelete({ exchange }).catch(() => undefined);
    await admin.close();
  });

  it('http: POSTs the rendered body; a non-2xx answer fails the start with flow-start-failed', async () => {
    const bodies: unknown[] = [];
    let status = 202;
    const server = http.createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        bodies.push({
          method: req.method,
          url: req.url,
          type: req.headers['content-type'],
          body: JSON.parse(text) as unknown,
        });
        res.statusCode = status;
        res.end('no');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const started = await target({
      ...base,
      flows: {
        order: {
          start: {
            http: {
              url: `http://127.0.0.1:${port}/orders/{{flow.key}}`,
              body: { orderId: '{{flow.key}}', n: '{{flow.index}}' },
            },
          },
          key: 'orderId',
          terminal: ['Done'],
        },
      },
    }).start(context());
    try {
      const flow = await started.startFlow(4);
      expect(flow).toMatchObject({ flow: 'order', correlationId: flow.key });
      expect(flow.key).toMatch(/^[0-9a-f-]{36}$/);
      expect(bodies).toEqual([
        {
          method: 'POST',
          url: `/orders/${flow.key}`,
          type: 'application/json',
          body: { orderId: flow.key, n: 4 },
        },
      ]);
      status = 500;
      await expect(started.startFlow(5)).rejects.toMatchObject({ code: 'flow-start-failed' });
      await expect(started.startFlow(5, 'nope')).rejects.toMatchObject({ code: 'unknown-flow' });
    } finally {
      await started.stop();
      server.close();
    }
  });

  it('run: runs the command with rendered args and env; a non-zero exit fails with its last lines', async () => {
    const started = await target({
      ...base,
      flows: {
        signup: {
          start: {
            run: {
              command: process.execPath,
              args: [
                '-e',
                'console.log(process.argv[1], process.env.KEY); process.exit(process.argv[1] === "fail" ? 4 : 0)',
                '{{flow.name}}',
              ],
              env: { KEY: '{{flow.key}}' },
            },
          },
          key: 'userId',
          terminal: ['Welcomed'],
        },
        broken: {
          start: {
            run: { command: process.execPath, args: ['-e', 'console.error("no database"); process.exit(4)'] },
          },
          key: 'userId',
          terminal: ['Welcomed'],
        },
      },
    }).start(context());
    try {
      await expect(started.startFlow(0)).resolves.toMatchObject({ flow: 'signup' });
      await expect(started.startFlow(1, 'broken')).rejects.toThrow(
        /flow broken #1: could not start: .* ended with exit code 4: no database/,
      );
    } finally {
      await started.stop();
    }
  });
});
