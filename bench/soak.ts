/**
 * npm run soak — 1,000 orders through the five reference services on RabbitMQ, every service (and the outbox relay)
 * on a connection of its own through the AMQP chaos proxy, with a seeded plan of real faults: duplicated deliveries
 * (with and without the redelivered flag), delayed and reordered originals, a paused service, lost acks, nacked,
 * delayed and dropped publisher confirms, cuts of single services at triggers (TCP reset and connection.close 320,
 * reconnection refused for a while) — plus one broker restart (rabbitmqctl stop_app / start_app). Prints the plan,
 * the applied faults per kind and the per-flow accounting; asserts 0 lost flows, 0 double charges or shipments,
 * every order terminal.
 *
 * SOAK_PROXY=0 runs the older copy-republishing chaos instead (10 % copies, 3 cuts with rabbitmqctl).
 * The broker restart disturbs every client of the broker: never part of `npm test`; run it alone.
 */
import {
  startChaosProxy,
  type ChaosFault,
  type ChaosPlan,
  type StartedChaosProxy,
} from '../harness/chaos/index';
import { describeChaosFault, formatChaosPlan } from '../harness/chaos/plan/chaos-fault';
import { renderFaultLog } from '../harness/chaos/fault-log';
import { troupeEnvelopeAdapter } from '../harness/events/envelope-adapter';
import type { ServiceRouter } from '../harness/target/target';
import { DEFAULT_AMQP_URL } from '../harness/transport/amqp/amqp-transport';
import { serviceNames } from '../reference-services/services';
import { shopBrokerTarget } from '../reference-services/target/shop-broker-target';
import { fuzzBroker, formatBrokerFuzzReport } from '../harness/fuzz/broker/fuzz-broker';

const flows = Number(process.env['SOAK_ORDERS'] ?? 1000);
const seed = Number(process.env['SOAK_SEED'] ?? 20261126);
const restart = process.env['SOAK_RESTART'] !== '0';
const viaProxy = process.env['SOAK_PROXY'] !== '0';
const url = process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL;
const FLOWS_PER_SECOND = 100;

/**
 * The soak's faults, scaled to the number of flows (an order makes about ten deliveries across the services and
 * about six publishes by the relay). Probabilities are drawn from the plan's seed.
 */
function soakPlan(): ChaosPlan {
  const perService = serviceNames.flatMap((service): ChaosFault[] => [
    { kind: 'duplicate', service, probability: 0.03 },
    { kind: 'duplicate', service, probability: 0.02, redelivered: true, lagMs: 150 },
    { kind: 'delay', service, probability: 0.02, ms: 250 },
  ]);
  const at = (share: number): number => Math.floor(flows * share);
  const runMs = (flows / FLOWS_PER_SECOND) * 1000;
  return {
    seed,
    faults: [
      ...perService,
      { kind: 'reorder', service: 'inventory', probability: 0.02, count: 3, maxHoldMs: 300 },
      { kind: 'reorder', service: 'orders', probability: 0.01, count: 4, maxHoldMs: 300 },
      { kind: 'pause', service: 'shipping', ms: 1_500, afterMs: Math.floor(runMs * 0.3) },
      { kind: 'lose-ack', service: 'orders', probability: 0.01, times: 5 },
      {
        kind: 'lose-ack',
        service: 'payments',
        match: { eventType: 'OrderPlaced' },
        nth: at(0.2),
        thenCut: 'reset',
      },
      { kind: 'nack-confirm', service: 'relay', probability: 0.01 },
      { kind: 'delay-confirm', service: 'relay', probability: 0.02, ms: 300 },
      { kind: 'drop-publish', service: 'relay', nth: at(2), thenCut: 'reset' },
      { kind: 'cut', service: 'orders', how: 'close', on: { on: 'deliver', nth: at(1.2) }, refuseMs: 500 },
      { kind: 'cut', service: 'inventory', how: 'reset', on: { on: 'ack', nth: at(0.5) } },
      {
        kind: 'cut',
        service: 'notifications',
        how: 'reset',
        on: { on: 'deliver', nth: at(0.7) },
        refuseMs: 300,
      },
    ],
  };
}

let lastProgress = '';

async function main(): Promise<void> {
  const plan = soakPlan();
  let proxy: StartedChaosProxy | undefined;
  let router: ServiceRouter | undefined;
  if (viaProxy) {
    const started = await startChaosProxy({
      upstream: url,
      listeners: [...serviceNames, 'relay'].map((service) => ({ service })),
      adapter: troupeEnvelopeAdapter('orderId'),
      plan,
      log: (line) => {
        if (!line.startsWith('fault: ')) console.log(`\n[proxy] ${line}`);
      },
    });
    proxy = started;
    router = {
      urlFor: (service) => Promise.resolve(started.urlFor(service)),
      cut: (service) =>
        Promise.resolve(`cut ${started.cut(service)} connection(s) of ${service} (chaos proxy)`),
    };
    console.log(
      `soak: ${flows} orders, seed ${seed}, through the AMQP chaos proxy (each service and the relay on its own listener), ${restart ? '1 broker restart' : 'no broker restart'}`,
    );
    console.log(`plan:\n${plan.faults.map((fault) => `  - ${describeChaosFault(fault)}`).join('\n')}`);
    console.log(`replay the plan: troupe proxy … --replay '${formatChaosPlan(plan)}'`);
  } else {
    console.log(
      `soak: ${flows} orders, seed ${seed}, 10% duplicates, 3 connection cuts, ${restart ? '1 broker restart' : 'no broker restart'}`,
    );
  }
  let report;
  try {
    report = await fuzzBroker(shopBrokerTarget(), {
      flows,
      seed,
      url,
      // Through the proxy the faults are the proxy's; the copy-republishing chaos and rabbitmqctl cuts stay off.
      chaos: { duplicateRate: viaProxy ? 0 : 0.1 },
      cuts: viaProxy ? 0 : 3,
      ...(router ? { router } : {}),
      restartBroker: restart,
      flowsPerSecond: FLOWS_PER_SECOND,
      timeoutMs: 300_000,
      quietMs: 1_500,
      onProgress: ({ started, ended, total }) => {
        const line = `started ${Math.floor(started / 100) * 100}/${total}, ended ${Math.floor(ended / 100) * 100}`;
        if (line !== lastProgress) process.stderr.write(`\r${line}   `);
        lastProgress = line;
      },
      log: (line) => console.log(`\n[soak] ${line}`),
    });
  } finally {
    await proxy?.stop();
  }
  const faultLog = proxy?.faultLog() ?? [];
  console.log(`\n${formatBrokerFuzzReport(report)}`);
  if (viaProxy) {
    const counts = new Map<string, number>();
    for (const entry of faultLog) {
      const what = entry.detail.includes('connection cut (') ? 'connection cut' : entry.kind;
      counts.set(what, (counts.get(what) ?? 0) + 1);
    }
    console.log(
      `proxy: ${faultLog.length} fault(s) applied — ${[...counts].map(([kind, n]) => `${kind} ${n}`).join(', ')}`,
    );
    console.log(
      `fault log (first 12, last 8):\n${renderFaultLog([...faultLog.slice(0, 12)])}\n  …\n${renderFaultLog(faultLog.slice(-8))}`,
    );
  }
  const doubled = report.violations.filter((v) => /PaymentCompleted|ShipmentScheduled|double/.test(v.name));
  const checks: [string, boolean][] = [
    ['0 lost flows', report.accounting.totals.lost === 0],
    ['0 double charges or shipments', doubled.length === 0],
    [
      'every order terminal (exactly one terminal event each)',
      !report.violations.some((v) => v.name.startsWith('exactly one')),
    ],
    ['no other invariant broken', report.violations.length === doubled.length],
    ...(viaProxy ? proxyChecks(faultLog) : []),
    [
      viaProxy
        ? `${report.restarts} broker restart(s) happened`
        : `${report.cuts} connection cuts, ${report.restarts} broker restart(s) happened`,
      (viaProxy || report.cuts === 3) && report.restarts === (restart ? 1 : 0),
    ],
  ];
  for (const [name, ok] of checks) console.log(`${ok ? '✓' : '✗'} ${name}`);
  if (!checks.every(([, ok]) => ok)) process.exitCode = 1;
}

/** Every kind of proxy fault in the plan really happened. */
function proxyChecks(log: readonly { kind: string; detail: string }[]): [string, boolean][] {
  const count = (test: (entry: { kind: string; detail: string }) => boolean): number =>
    log.filter(test).length;
  const cuts = count((e) => e.detail.includes('connection cut ('));
  const kinds = [
    'duplicate',
    'delay',
    'reorder',
    'pause',
    'lose-ack',
    'nack-confirm',
    'delay-confirm',
    'drop-publish',
  ];
  const missing = kinds.filter((kind) => count((e) => e.kind === kind) === 0);
  return [
    [`${cuts} cuts of single services through the proxy (≥ 4 planned)`, cuts >= 4],
    [
      `every planned kind of fault applied${missing.length > 0 ? ` (missing: ${missing.join(', ')})` : ''}`,
      missing.length === 0,
    ],
  ];
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
