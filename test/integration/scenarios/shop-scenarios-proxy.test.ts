import { readFile } from 'node:fs/promises';
import {
  parseScenario,
  scenarioLoadOptions,
  type LoadedScenario,
} from '../../../harness/scenario/load-scenario';
import { runScenario } from '../../../harness/scenario/run-scenario';
import { renderScenarioReport, type ScenarioReport } from '../../../harness/scenario/scenario-report';
import type { Target } from '../../../harness/target/target';
import type { KnownBug } from '../../../reference-services/kit/bugs';
import { shopTarget } from '../../../reference-services/target/shop-target';
import { runTroupeProcess } from '../../support/troupe-cli';

/*
 * The reference shop's scenarios on the real broker go through the chaos proxy like every other target's: each
 * service and the outbox relay on a listener of their own, the scenario's message faults applied by the proxy to
 * the real deliveries (report lines `proxy: <service>: …`, each with its time), cuts through the router. The
 * shop runs in this process, so its deliveries (redeliveries) are still seen exactly, without the firehose.
 */

const amqpUrl = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

function shop(bugs: readonly KnownBug[] = []): Target {
  return shopTarget({ mode: 'broker', amqpUrl, bugs });
}

/** A shipped spec, its `faults` replaced when `faults` is given (YAML lines). */
async function shipped(file: string, target: Target, faults?: string): Promise<LoadedScenario> {
  let text = await readFile(`scenarios/${file}`, 'utf8');
  if (faults !== undefined) text = text.replace(/^faults:\n(?: {2}.*\n)+/m, `faults:\n${faults}\n`);
  const parsed = parseScenario(text, file, scenarioLoadOptions(target));
  if (!parsed.ok) throw parsed.error;
  return parsed.scenario;
}

const proxyFaults = (report: ScenarioReport, kind: string) =>
  report.faults.filter((fault) => fault.kind === kind && fault.detail.startsWith('proxy: '));

const failed = (report: ScenarioReport) => report.checks.filter((check) => !check.ok);

describe("the shop's scenarios on RabbitMQ go through the chaos proxy", () => {
  it('duplicate OrderPlaced: the proxy delivers the copies to every consumer, each fault with its time; the shop stays exactly-once', async () => {
    const target = shop();
    const report = await runScenario(await shipped('duplicate-order-placed.scenario.yaml', target), {
      target,
    });
    expect(failed(report)).toEqual([]);
    expect(report.error).toBeUndefined();
    const duplicated = proxyFaults(report, 'duplicate');
    // payments is a consumer of OrderPlaced: its copies were real deliveries through its listener.
    expect(duplicated.map((fault) => fault.detail)).toContainEqual(
      expect.stringMatching(/^proxy: payments: delivery of OrderPlaced .*2 copies/),
    );
    for (const fault of duplicated) expect(fault.at).toBeGreaterThanOrEqual(Date.parse(report.startedAt));
    expect(report.checks).toContainEqual(
      expect.objectContaining({ name: 'fault duplicate OrderPlaced was applied', ok: true }),
    );
    // The rendered report's applied-fault list names the proxy's entries with their offsets.
    expect(renderScenarioReport(report)).toMatch(
      /\+\d+ms duplicate: proxy: payments: delivery of OrderPlaced/,
    );
    // No copy was re-published: counts are publications, and every publication is the shop's own.
    expect(report.faults.some((fault) => fault.detail.includes('published'))).toBe(false);
  }, 60_000);

  it('fails when payments is not idempotent: the duplicate through the proxy is caught as a double charge', async () => {
    const target = shop(['payment-not-idempotent']);
    const report = await runScenario(
      await shipped(
        'duplicate-order-placed.scenario.yaml',
        target,
        '  - duplicate: { event: OrderPlaced, service: payments }',
      ),
      { target },
    );
    expect(proxyFaults(report, 'duplicate').map((fault) => fault.detail)).toContainEqual(
      expect.stringMatching(/^proxy: payments: delivery of OrderPlaced .*1 copy/),
    );
    expect(report.ok).toBe(false);
    expect(report.checks).toContainEqual(
      expect.objectContaining({
        name: 'order: count of PaymentCompleted is exactly 1',
        ok: false,
        detail: '2 observed',
      }),
    );
    expect(report.checks).toContainEqual(
      expect.objectContaining({ name: 'invariant: no double charge (gateway ledger)', ok: false }),
    );
  }, 60_000);

  it('redeliver PaymentCompleted to inventory: the proxy loses the ack and cuts inventory; the redelivery is seen in process', async () => {
    const target = shop();
    const report = await runScenario(await shipped('payment-completed-redelivered.scenario.yaml', target), {
      target,
    });
    expect(failed(report)).toEqual([]);
    expect(proxyFaults(report, 'redeliver').map((fault) => fault.detail)).toContainEqual(
      expect.stringMatching(/^proxy: inventory: .*PaymentCompleted/),
    );
    // The broker's redelivery (redelivered=true) reached inventory: `then.flows.order.redelivered` held.
    expect(report.checks).toContainEqual(
      expect.objectContaining({
        name: 'order: PaymentCompleted redelivered to a service exactly 1 time(s)',
        ok: true,
      }),
    );
    expect(
      report.events.some((event) => event.redelivered && event.identity?.eventType === 'PaymentCompleted'),
    ).toBe(true);
  }, 60_000);

  it('a cut of every service goes through the router: each service and the relay are cut by the proxy', async () => {
    const target = shop();
    const report = await runScenario(await shipped('broker-connections-cut.scenario.yaml', target), {
      target,
    });
    expect(failed(report)).toEqual([]);
    const cut = report.faults.find(
      (fault) => fault.kind === 'cut' && fault.detail.startsWith('after PaymentCompleted'),
    );
    for (const service of target.serviceNames) expect(cut?.detail).toContain(`of ${service} (proxy)`);
  }, 60_000);

  it('troupe scenarios (the CLI) runs the shop through the proxy too: its faults applied list has the proxy lines', async () => {
    const { code, stdout, stderr } = await runTroupeProcess([
      'scenarios',
      '--timeline',
      'scenarios/duplicate-order-placed.scenario.yaml',
    ]);
    const output = stdout + stderr;
    expect(output).toContain('target: the reference shop');
    expect(output).toMatch(/\+\d+ms duplicate: proxy: payments: delivery of OrderPlaced/);
    expect(code).toBe(0);
  }, 90_000);
});
