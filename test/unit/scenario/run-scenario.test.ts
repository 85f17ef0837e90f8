import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually } from '../../../harness/assert/eventually';
import { assertScenario, ScenarioFailedError } from '../../../harness/scenario/assert-scenario';
import { renderJUnitReport } from '../../../harness/scenario/junit-report';
import {
  parseScenario,
  scenarioLoadOptions,
  type LoadedScenario,
} from '../../../harness/scenario/load-scenario';
import { runScenario } from '../../../harness/scenario/run-scenario';
import { renderScenarioReport } from '../../../harness/scenario/scenario-report';
import type { ChaosFault } from '../../../harness/chaos/plan/chaos-fault';
import type { ScenarioChaosFactory } from '../../../harness/scenario/scenario-chaos';
import type { Target } from '../../../harness/target/target';
import { toyTarget } from './support/toy-target';

function scenario(text: string, target: Target = toyTarget()): LoadedScenario {
  const result = parseScenario(text, 'toy.scenario.yaml', scenarioLoadOptions(target));
  if (!result.ok) throw result.error;
  return result.scenario;
}

const base = `name: toy invoice
when:
  - invoice: { as: inv, amount: 40 }
then:
  flows:
    inv: { chain: [InvoiceRequested, InvoicePaid, ReceiptMailed], terminal: ReceiptMailed, never: [InvoiceRejected] }
  counts: { InvoicePaid: 1 }
  probes:
    - charges: { flow: inv, times: 1 }
  settle: 50ms
within: 5s
`;

describe('runScenario on a toy choreography (a Target object, in-memory transport)', () => {
  it('passes when every expectation holds; the flow is pinned to the key its id-less events carry', async () => {
    const report = await runScenario(scenario(base), { target: toyTarget(), mode: 'sim' });
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.flows).toEqual([expect.objectContaining({ name: 'inv', terminals: ['ReceiptMailed'] })]);
    expect(report.flows[0]?.correlationId).toBe(report.flows[0]?.key);
    expect(report.checks.map((check) => check.name)).toEqual(
      expect.arrayContaining([
        'inv charged 1 time(s)',
        'invariant: at most one InvoicePaid per data.invoiceId',
      ]),
    );
    expect(report.accounting?.valid).toBe(true);
  });

  it('fails with the timeline and the services’ output; assertScenario throws with the report as cause', async () => {
    const rejected = scenario(base.replace('amount: 40', 'amount: 400'));
    const error = await assertScenario(rejected, { target: toyTarget(), mode: 'sim' }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ScenarioFailedError);
    const failed = error as ScenarioFailedError;
    expect(failed.code).toBe('scenario-failed');
    expect(failed.cause).toBe(failed.report);
    expect(failed.message).toContain('✗ inv: reaches ReceiptMailed');
    expect(failed.message).toContain('reached InvoiceRejected instead');
    expect(failed.message).toContain('✗ inv charged 1 time(s)');
    expect(failed.message).toMatch(/Timeline of inv \(correlation [0-9a-f-]+, 2 deliveries\)/);
    expect(failed.message).toMatch(/InvoiceRequested[\s\S]*InvoiceRejected/);
    expect(failed.message).toContain('Output of billing (last 1 of 1 lines):');
    expect(renderJUnitReport([failed.report])).toContain('<failure message="inv: reaches ReceiptMailed');
  });

  it('duplicate to one consumer: a non-idempotent consumer is caught charging twice (id-less publications count twice)', async () => {
    const duplicated = scenario(
      base.replace('then:', 'faults:\n  - duplicate: { event: InvoiceRequested, service: billing }\nthen:'),
    );
    const broken = await runScenario(duplicated, { target: toyTarget({ notIdempotent: true }), mode: 'sim' });
    expect(broken.ok).toBe(false);
    expect(broken.checks).toContainEqual(
      expect.objectContaining({ name: 'count of InvoicePaid is exactly 1', ok: false, detail: '2 observed' }),
    );
    expect(broken.checks).toContainEqual(
      expect.objectContaining({ name: 'inv charged 1 time(s)', ok: false }),
    );
    expect(broken.faults[0]).toMatchObject({ kind: 'duplicate' });
    const fine = await runScenario(duplicated, { target: toyTarget(), mode: 'sim' });
    expect(fine.checks.filter((check) => !check.ok)).toEqual([]);
  });

  it('redeliver: the consumer handles the event, loses its ack, gets it again redelivered', async () => {
    const redelivered = scenario(
      base
        .replace('then:', 'faults:\n  - redeliver: { event: InvoiceRequested, service: billing }\nthen:')
        .replace(
          'never: [InvoiceRejected]',
          'never: [InvoiceRejected], redelivered: { InvoiceRequested: 1 }',
        ),
    );
    const report = await runScenario(redelivered, { target: toyTarget(), mode: 'sim' });
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.faults).toEqual([
      expect.objectContaining({
        kind: 'redeliver',
        detail: 'billing crashed after handling InvoiceRequested, before its ack',
      }),
    ]);
    const broken = await runScenario(redelivered, {
      target: toyTarget({ notIdempotent: true }),
      mode: 'sim',
    });
    expect(broken.ok).toBe(false);
  });

  it('kill with restartAfter and pause: the service is down (or held) for a while and the flow still ends', async () => {
    const lifecycle = scenario(
      base.replace(
        'then:',
        'faults:\n  - kill: { service: billing, restartAfter: 300ms }\n  - pause: { service: mailer, after: InvoicePaid, for: 400ms }\nthen:',
      ),
    );
    const report = await runScenario(lifecycle, { target: toyTarget(), mode: 'sim' });
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.faults.map((fault) => `${fault.kind}: ${fault.detail}`)).toEqual([
      expect.stringMatching(/^kill: as when started: billing killed .*restarting in 300 ms$/),
      'kill: billing started again',
      "pause: after InvoicePaid: mailer's consumers paused for 400 ms",
    ]);
    const reached = report.flows[0]?.terminalAfterMs ?? 0;
    expect(reached).toBeGreaterThanOrEqual(600);
  });

  it('routed through the proxy: the message faults are its plan only, never also applied in process', async () => {
    const applied: ChaosFault[][] = [];
    const chaos: ScenarioChaosFactory = ({ note }) =>
      Promise.resolve({
        router: { urlFor: () => Promise.resolve('amqp://proxy.invalid'), cut: () => Promise.resolve('cut') },
        apply(faults) {
          applied.push([...faults]);
          note('proxy: billing: delivery of InvoiceRequested: 1 copy', 'duplicate');
          return Promise.resolve();
        },
        stop: () => Promise.resolve(),
      });
    // The toy runs in memory and wraps its transports; a service asking the router for its URL makes the run routed.
    const toy = toyTarget({ notIdempotent: true });
    const routedToy: Target = {
      ...toy,
      start: async (context) => {
        await context.router?.urlFor('billing', 'amqp://127.0.0.1');
        return toy.start(context);
      },
    };
    const duplicated = scenario(
      base.replace('then:', 'faults:\n  - duplicate: { event: InvoiceRequested, service: billing }\nthen:'),
      routedToy,
    );
    const report = await runScenario(duplicated, { target: routedToy, mode: 'sim', chaos });
    expect(applied).toEqual([
      [{ kind: 'duplicate', service: 'billing', match: { eventType: 'InvoiceRequested' }, copies: 1 }],
    ]);
    // The non-idempotent consumer charged once: the in-process duplicate did not happen on top of the proxy's.
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.faults.map((fault) => [fault.kind, fault.detail.split(':')[0]])).toEqual([
      ['duplicate', 'proxy'],
    ]);
  });

  it('a message fault that never found its message fails the scenario: it proved nothing', async () => {
    const idle = scenario(
      base.replace('then:', 'faults:\n  - delay: { event: ReceiptMailed, by: 1s, service: billing }\nthen:'),
    );
    const report = await runScenario(idle, { target: toyTarget(), mode: 'sim' });
    expect(report.checks).toContainEqual({
      name: 'fault delay ReceiptMailed to billing was applied',
      ok: false,
      detail: 'no ReceiptMailed reached billing to fault',
    });
  });

  it('a fault whose trigger never comes fails the scenario: it proved nothing', async () => {
    const never = scenario(
      base.replace('then:', 'faults:\n  - restart: { service: billing, after: InvoiceRejected }\nthen:'),
    );
    const report = await runScenario(never, { target: toyTarget(), mode: 'sim' });
    expect(report.checks).toContainEqual({
      name: 'fault restart billing after InvoiceRejected was applied',
      ok: false,
      detail: 'InvoiceRejected was never observed',
    });
  });

  describe('generic steps and probes', () => {
    let server: Server;
    let url: string;
    const requests: { method: string; url: string; body: string }[] = [];
    beforeAll(async () => {
      server = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk.toString()));
        request.on('end', () => {
          requests.push({ method: request.method ?? '', url: request.url ?? '', body });
          if (request.url?.startsWith('/missing')) {
            response.writeHead(404).end('nope');
            return;
          }
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ status: 'paid', lines: [{ amount: 40 }], extra: true }));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('publish (raw body, templates), http, run and wait steps; http and run probes with JSON subsets', async () => {
      const spec = `name: generic
when:
  - publish:
      as: raw
      exchange: toy.events
      routingKey: InvoiceRequested
      body: { event: InvoiceRequested, data: { invoiceId: '{{flow.key}}', amount: 7 } }
  - wait: { for: ReceiptMailed, flow: raw }
  - http:
      url: '${url}/notify/{{flows.raw.key}}'
      body: { invoice: '{{flows.raw.key}}', run: '{{run.namespace}}' }
  - run: { command: node, args: ['-e', 'process.exit(0)'] }
then:
  flows:
    raw: { chain: [InvoiceRequested, InvoicePaid, ReceiptMailed] }
  probes:
    - http: { url: '${url}/invoices/{{flows.raw.key}}', json: { status: paid, lines: [{ amount: 40 }] } }
    - run: { command: node, args: ['-e', 'console.log(JSON.stringify({ ok: true, n: 2 }))'], stdout: { n: 2 } }
  settle: 50ms
within: 5s
`;
      const report = await runScenario(scenario(spec), { target: toyTarget(), mode: 'sim' });
      expect(report.checks.filter((check) => !check.ok)).toEqual([]);
      const key = report.flows[0]?.key ?? '';
      expect(requests).toContainEqual({
        method: 'POST',
        url: `/notify/${key}`,
        body: JSON.stringify({ invoice: key, run: report.namespace }),
      });
      expect(requests.some((request) => request.url === `/invoices/${key}`)).toBe(true);
    });

    it('a failing probe says what it read; a failing step stops the run with code step-failed', async () => {
      const probes = `name: probes fail
when:
  - invoice: { as: inv, amount: 5 }
then:
  probes:
    - http: { url: '${url}/invoices/x', json: { status: refunded } }
    - run: { command: node, args: ['-e', 'process.exit(4)'] }
  settle: 50ms
within: 5s
`;
      const report = await runScenario(scenario(probes), { target: toyTarget(), mode: 'sim' });
      expect(report.checks).toContainEqual(
        expect.objectContaining({ ok: false, detail: 'status: expected "refunded", got "paid"' }),
      );
      expect(report.checks).toContainEqual(
        expect.objectContaining({ ok: false, detail: expect.stringMatching(/^exited 4/) as unknown }),
      );
      const step = `name: step fails
when:
  - http: { url: '${url}/missing', method: GET }
then: {}
within: 5s
`;
      const failed = await runScenario(scenario(step), { target: toyTarget(), mode: 'sim' });
      expect(failed.error).toEqual({
        code: 'step-failed',
        message: `when[0] http failed: GET ${url}/missing answered 404: nope`,
      });
    });
  });

  it('a service that exits by itself fails the run at once, naming it, with its last lines', async () => {
    const report = await runScenario(scenario(base.replace('amount: 40', 'amount: 13')), {
      target: toyTarget({ crashOnAmount: 13 }),
      mode: 'sim',
    });
    expect(report.error?.code).toBe('service-exited');
    expect(report.error?.message).toContain('service billing exited by itself (code 3, signal none)');
    expect(report.error?.message).toContain('billing: cannot charge this amount, exiting');
    expect(report.durationMs).toBeLessThan(4_000);
    expect(renderScenarioReport(report)).toContain('Output of billing — exited by itself (3)');
  });

  it('a target that finishes starting after the hard limit is still stopped', async () => {
    let release: (() => void) | undefined;
    let stopped = false;
    const target = toyTarget({
      startGate: new Promise<void>((resolve) => (release = resolve)),
      onStop: () => (stopped = true),
    });
    const quick = scenario(base.replace('within: 5s', 'within: 10ms'), target);
    const report = await runScenario(quick, { target, mode: 'sim', startupBudgetMs: 10 });
    expect(report.error?.code).toBe('scenario-timeout');
    release?.();
    await eventually(() => stopped, { within: 2_000, description: 'the late target to be stopped' });
  });

  it('reports a target that cannot start as an error, not a crash', async () => {
    const target: Target = {
      ...toyTarget(),
      start: () => Promise.reject(Object.assign(new Error('broker unreachable'), { code: 'connect-failed' })),
    };
    const report = await runScenario(scenario(base, target), { target });
    expect(report).toMatchObject({
      ok: false,
      error: { code: 'connect-failed', message: 'broker unreachable' },
    });
  });
});
