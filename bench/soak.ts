/**
 * npm run soak — 1,000 orders through the five reference services on RabbitMQ with 10 % duplicated deliveries
 * (copies re-published with the same ids: at once, delayed, held back and released out of order), three cuts of
 * the services' own connection and one broker restart (rabbitmqctl stop_app / start_app). Prints the per-flow
 * accounting; asserts 0 lost flows, 0 double charges or shipments, every order terminal.
 *
 * The broker restart disturbs every client of the broker: never part of `npm test`; run it alone.
 */
import { shopBrokerTarget } from '../reference-services/target/shop-broker-target';
import { fuzzBroker, formatBrokerFuzzReport } from '../harness/fuzz/broker/fuzz-broker';

const flows = Number(process.env['SOAK_ORDERS'] ?? 1000);
const seed = Number(process.env['SOAK_SEED'] ?? 20261126);
const restart = process.env['SOAK_RESTART'] !== '0';

let lastProgress = '';

async function main(): Promise<void> {
  console.log(
    `soak: ${flows} orders, seed ${seed}, 10% duplicates, 3 connection cuts, ${restart ? '1 broker restart' : 'no broker restart'}`,
  );
  const report = await fuzzBroker(shopBrokerTarget(), {
    flows,
    seed,
    chaos: { duplicateRate: 0.1 },
    cuts: 3,
    restartBroker: restart,
    flowsPerSecond: 100,
    timeoutMs: 300_000,
    quietMs: 1_500,
    onProgress: ({ started, ended, total }) => {
      const line = `started ${Math.floor(started / 100) * 100}/${total}, ended ${Math.floor(ended / 100) * 100}`;
      if (line !== lastProgress) process.stderr.write(`\r${line}   `);
      lastProgress = line;
    },
    log: (line) => console.log(`\n[soak] ${line}`),
  });
  console.log(`\n${formatBrokerFuzzReport(report)}`);
  const doubled = report.violations.filter((v) => /PaymentCompleted|ShipmentScheduled|double/.test(v.name));
  const checks: [string, boolean][] = [
    ['0 lost flows', report.accounting.totals.lost === 0],
    ['0 double charges or shipments', doubled.length === 0],
    [
      'every order terminal (exactly one terminal event each)',
      !report.violations.some((v) => v.name.startsWith('exactly one')),
    ],
    ['no other invariant broken', report.violations.length === doubled.length],
    [
      `${report.cuts} connection cuts, ${report.restarts} broker restart(s) happened`,
      report.cuts === 3 && report.restarts === (restart ? 1 : 0),
    ],
  ];
  for (const [name, ok] of checks) console.log(`${ok ? '✓' : '✗'} ${name}`);
  if (!checks.every(([, ok]) => ok)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
