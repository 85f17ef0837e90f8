import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from 'rabbitmq-client';
import { registerFuzzCommand } from '../../../harness/cli/commands/fuzz';
import { registerTraceCommand } from '../../../harness/cli/commands/trace';
import { resolveTarget } from '../../../harness/cli/resolve-target';
import { liveProcessCount } from '../../../harness/target/process-registry';
import { DEFAULT_AMQP_URL } from '../../../harness/transport/amqp/amqp-transport';
import { connectionName } from '../../../harness/transport/amqp/connection-name';
import { runTroupeCommand } from '../../support/troupe-cli';

const url = process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL;
const manifest = path.join(__dirname, 'fixtures', 'fanout-saga.config.ts');
const exchange = `it.cli.${randomBytes(4).toString('hex')}`;

/** Runs `troupe fuzz …` in process; returns the exit code and what went to stdout. */
function troupeFuzz(...args: string[]): Promise<{ code: number; out: string }> {
  return troupe('fuzz', ...args);
}

/** Runs `troupe <command> …` in process; returns the exit code and what went to stdout. */
function troupe(...args: string[]): Promise<{ code: number; out: string }> {
  return runTroupeCommand([registerFuzzCommand, registerTraceCommand], args);
}

describe('one CLI for both: troupe fuzz --mode broker on a manifest, or on the reference shop', () => {
  beforeAll(() => {
    process.env['SAGA_EXCHANGE'] = exchange;
  });
  afterAll(async () => {
    delete process.env['SAGA_EXCHANGE'];
    const admin = new Connection({ url, connectionName: connectionName('it-cli-admin') });
    admin.on('error', () => undefined);
    await admin.exchangeDelete({ exchange }).catch(() => undefined);
    // The manifest is loaded by Node's own loader, which does not see Jest's copy of process.env: it may have
    // used its fallback exchange name instead of SAGA_EXCHANGE.
    await admin.exchangeDelete({ exchange: 'it.saga.events' }).catch(() => undefined);
    await admin.close();
  });

  it('--config FILE: says which target in the first line, runs its services, exit 0', async () => {
    const { code, out } = await troupeFuzz(
      '--mode',
      'broker',
      '--config',
      manifest,
      '--runs',
      '4',
      '--cuts',
      '0',
      '--seed',
      '11',
    );
    expect(out.split('\n')[0]).toBe(
      'troupe: target: fanout-saga (test/integration/target/fixtures/fanout-saga.config.ts) — 1 service(s) (payments), 1 exchange(s); services routed through the chaos proxy',
    );
    expect(out).toMatch(/4 flows in .* seed 11, \d+ deliveries observed — OK/);
    expect(code).toBe(0);
    expect(liveProcessCount()).toBe(0);
  });

  it('a planted bug: exit 1, the violation, and a rerun command with the seed', async () => {
    process.env['NOT_IDEMPOTENT'] = '1'; // inherited by the service process
    try {
      const { code, out } = await troupeFuzz(
        '--mode',
        'broker',
        '--config',
        manifest,
        '--runs',
        '8',
        '--cuts',
        '0',
        '--duplicate-rate',
        '0.7',
        '--seed',
        '12',
      );
      expect(code).toBe(1);
      expect(out).toMatch(/✗ \[invariant\] at most one PaymentProcessed per data\.orderId/);
      expect(out).toContain(
        `rerun: troupe fuzz --mode broker --seed 12 --config ${manifest} --runs 8 --duplicate-rate 0.7 --cuts 0`,
      );
    } finally {
      delete process.env['NOT_IDEMPOTENT'];
    }
  });

  it('troupe trace --start: starts the services and one flow, traces it on every exchange with the adapter', async () => {
    const out = path.join(tmpdir(), `troupe-trace-${exchange}`);
    try {
      const { code, out: text } = await troupe(
        'trace',
        '--config',
        manifest,
        '--start',
        '--live',
        '15',
        '--idle',
        '400',
        '--out',
        out,
      );
      expect(code).toBe(0);
      expect(text.split('\n')[0]).toMatch(/^troupe: target: fanout-saga/);
      expect(text).toMatch(/OrderPlaced[\s\S]*PaymentProcessed[\s\S]*OrderShipped/);
      expect(text).toMatch(
        /3 deliveries of 3 distinct events; 0 redelivered; terminal: OrderShipped; no duplicated effects/,
      );
      expect(liveProcessCount()).toBe(0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('a bad manifest: exit 2 naming file, path and expected shape; nothing starts', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'troupe-cli-'));
    try {
      writeFileSync(
        path.join(dir, 'troupe.config.yaml'),
        'broker:\n  exchanges: [{ name: x, type: fanout }]\nservices:\n  payments: { command: node, ready: { log: up, timeout: soon } }\n',
      );
      const { code, out } = await troupeFuzz(
        '--mode',
        'broker',
        '--config',
        path.join(dir, 'troupe.config.yaml'),
      );
      expect(code).toBe(2);
      expect(out).toContain(path.join(dir, 'troupe.config.yaml'));
      expect(out).toMatch(/services\.payments\.ready\.timeout: got "soon" \(expected a duration/);
      expect(liveProcessCount()).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without a manifest in the working directory: the reference shop, and the first line says so', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'troupe-cli-'));
    try {
      expect((await resolveTarget({}, { cwd: dir })).firstLine).toBe(
        `troupe: target: the reference shop (no troupe.config.* in ${dir}; pass --config FILE for yours)`,
      );
      writeFileSync(
        path.join(dir, 'troupe.config.json'),
        JSON.stringify({ broker: { exchanges: [{ name: 'e', type: 'topic' }] } }),
      );
      const found = await resolveTarget({}, { cwd: dir });
      expect(found).toMatchObject({ kind: 'manifest', file: path.join(dir, 'troupe.config.json') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const { code, out } = await troupeFuzz('--mode', 'broker', '--runs', '3', '--cuts', '0', '--seed', '13');
    expect(out.split('\n')[0]).toMatch(/^troupe: target: the reference shop \(no troupe\.config\.\* in /);
    expect(out).toMatch(/shop on RabbitMQ: 3 flows .* — OK/);
    expect(code).toBe(0);
  });
});
