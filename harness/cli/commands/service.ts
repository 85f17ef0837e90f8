import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';

interface ServiceCommandOptions {
  readonly namespace: string;
  readonly prefetch: string;
  readonly relays: string;
  readonly bug: string[];
  readonly gatewayRules?: string;
  readonly fraudThreshold?: string;
  readonly seed?: string;
}

/**
 * Registers `troupe service <name>`: runs one reference service in this process on AMQP_URL / DATABASE_URL (as
 * harness/infra chooses), so several processes can compete for the same queue. Stops cleanly on SIGINT/SIGTERM.
 */
export function registerServiceCommand(program: Command): void {
  program
    .command('service')
    .argument('<name>', 'orders | payments | inventory | shipping | notifications | all')
    .description('run one reference service (its consumer and an outbox relay) until interrupted')
    .option(
      '--namespace <ns>',
      'namespace of queues and schema (shared by the processes of one shop)',
      'shop',
    )
    .option('--prefetch <n>', 'unacked deliveries this instance may hold', '16')
    .option('--relays <n>', 'outbox relays in this process', '1')
    .option(
      '--bug <name>',
      'switch on a known bug (repeatable)',
      (value: string, all: string[]) => [...all, value],
      [],
    )
    .option('--gateway-rules <file>', 'JSON file of payment-gateway rules ({ declines, refundFailures })')
    .option('--fraud-threshold <x>', 'fraud score above which payments refuse', '0.8')
    .option(
      '--seed <file>',
      'JSON file of stock per SKU and customers ({ stock, customers }) to write at start',
    )
    .action(async (name: string, options: ServiceCommandOptions) => {
      await runService(name, options);
    });
}

async function runService(name: string, options: ServiceCommandOptions): Promise<void> {
  const { parseServiceName, serviceNames } = await import('../../../reference-services/services');
  const { parseKnownBug } = await import('../../../reference-services/kit/bugs');
  const { startShop } = await import('../../../reference-services/shop');
  const { openStore } = await import('../../../reference-services/open-store');
  const { acquireInfrastructure } = await import('../../infra/acquire-infrastructure');
  const { connectionName } = await import('../../transport/amqp/connection-name');

  const services = name === 'all' ? serviceNames : [parseServiceName(name)];
  const bugs = options.bug.map(parseKnownBug);
  const prefetch = positiveInteger('--prefetch', options.prefetch);
  const relays = positiveInteger('--relays', options.relays, true);
  const fraudThreshold = Number(options.fraudThreshold ?? '0.8');
  if (!(fraudThreshold >= 0 && fraudThreshold <= 1)) {
    throw new Error(`--fraud-threshold must be between 0 and 1, got "${options.fraudThreshold}"`);
  }
  const { parseGatewayRules } = await import('../../../reference-services/payments/gateway');
  const gatewayRules = options.gatewayRules
    ? parseGatewayRules(
        JSON.parse(await readFile(options.gatewayRules, 'utf8')) as unknown,
        options.gatewayRules,
      )
    : {};

  const { parseShopSeed } = await import('../../../reference-services/shop-processors');
  const seed = options.seed
    ? parseShopSeed(JSON.parse(await readFile(options.seed, 'utf8')) as unknown, options.seed)
    : undefined;

  const infrastructure = await acquireInfrastructure();
  if (infrastructure.amqpUrl === undefined) {
    await infrastructure.stop();
    throw new Error(
      'troupe service needs a RabbitMQ broker (set AMQP_URL): an in-memory transport is per process',
    );
  }
  const instance = `${name}.${randomBytes(3).toString('hex')}`;
  const transport = infrastructure.createTransport({ connectionName: connectionName(`service.${instance}`) });
  const store = await openStore(options.namespace, infrastructure, { applicationName: `troupe-${instance}` });
  const shop = await startShop({
    transport,
    store,
    namespace: options.namespace,
    services,
    bugs,
    prefetch,
    relays,
    fraudThreshold,
    gatewayRules,
    ...(seed ? { seed } : {}),
  });
  console.log(
    `troupe service ${services.join(', ')} (instance ${instance}) on ${infrastructure.describe()}; ` +
      `namespace ${options.namespace}; queue ${services.map((s) => shop.names.queue(s)).join(', ')}` +
      `${bugs.length ? `; BUGS ON: ${bugs.join(', ')}` : ''}`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log(`troupe service ${instance}: stopping`);
  await shop.stop();
  await transport.close();
  await store.close();
  await infrastructure.stop();
}

function positiveInteger(flag: string, value: string, allowZero = false): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) {
    throw new Error(`${flag} must be a${allowZero ? ' non-negative' : ' positive'} integer, got "${value}"`);
  }
  return n;
}
