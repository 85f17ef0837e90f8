import type { Command } from 'commander';
import { troupeEnvelopeAdapter } from '../../events/envelope-adapter';
import { seededRandom } from '../../fuzz/_internals/seeded-random';
import { ObserveError } from '../../observe/observe-error';
import { PgEventStore } from '../../observe/pg-event-store';
import { traceFlow, type TraceSource } from '../../observe/trace';
import { manifestBrokerUrl } from '../../target/config-target';
import { terminalTypesOf, type StartedTarget } from '../../target/target';
import { AmqpTransport } from '../../transport/amqp/amqp-transport';
import { connectionName } from '../../transport/amqp/connection-name';
import { CliExit } from '../cli-exit';
import { CONFIG_OPTION_HELP, resolveTarget, type TargetChoice } from '../resolve-target';

interface TraceFlags {
  readonly namespace: string;
  readonly databaseUrl?: string;
  readonly live?: string;
  readonly exchange?: string;
  readonly amqpUrl?: string;
  readonly idle: string;
  readonly persist?: boolean;
  readonly businessKey?: string;
  readonly out: string;
  readonly terminal?: string;
  readonly config?: string;
  readonly start?: string | boolean;
}

/**
 * Registers `troupe trace [correlationId]`: prints a flow's timeline and writes its Mermaid diagram and HTML
 * report. Source: the PostgreSQL event store (default; what a tap persisted with `PgEventStore.persist`), or with
 * `--live <seconds>` a tap on the broker — on every exchange of the manifest (`troupe.config.*` / `--config`),
 * with its adapter and terminal types, or on `--exchange <name>`. `--start [flow]` (manifest only) starts the
 * manifest's services, starts one flow and traces it. Without a correlationId it lists recent flows in the store.
 */
export function registerTraceCommand(program: Command): void {
  program
    .command('trace')
    .description('Print the timeline of one flow and write its Mermaid diagram and HTML report')
    .argument('[correlationId]', 'the flow to trace; omitted: list recent flows in the event store')
    .option(
      '--namespace <ns>',
      'event store namespace (schema troupe_events_<ns>)',
      process.env['TROUPE_NAMESPACE'] ?? 'default',
    )
    .option(
      '--database-url <url>',
      'PostgreSQL URL (default: DATABASE_URL or postgres://postgres@127.0.0.1:5432/test)',
    )
    .option('--live <seconds>', 'tap the broker for up to this many seconds instead of reading the store')
    .option(
      '--exchange <name>',
      'exchange to tap with --live (default with a manifest: all of its exchanges)',
    )
    .option(
      '--amqp-url <url>',
      'broker URL for --live (default: the manifest’s, else AMQP_URL or amqp://guest:guest@127.0.0.1:5672)',
    )
    .option('--idle <ms>', 'with --live: stop once the flow was quiet this long', '1000')
    .option('--persist', 'with --live: also store what the tap saw in the namespace')
    .option(
      '--business-key <field>',
      'payload field holding the business key (default: the manifest’s flow key, else orderId)',
    )
    .option(
      '--terminal <types>',
      'comma-separated event types that end a flow: adds lost/duplicated accounting to the summary ' +
        '(default with a manifest: its flows’ terminal types)',
    )
    .option('--config <file>', CONFIG_OPTION_HELP)
    .option(
      '--start [flow]',
      'with a manifest: start its services, start one flow (default the first) and trace it live',
    )
    .option('--out <dir>', 'where to write <correlationId>.mmd and .html', 'reports/trace')
    .action(async (correlationId: string | undefined, flags: TraceFlags) => {
      const live = flags.live !== undefined || flags.start !== undefined;
      // Only a live trace reads messages: the store already holds what its tap read.
      const choice = live
        ? await resolveTarget(flags.config !== undefined ? { config: flags.config } : {})
        : undefined;
      if (choice) console.log(choice.firstLine);
      if (correlationId === undefined && flags.start === undefined) {
        await listFlows(flags);
        return;
      }
      let transport: AmqpTransport | undefined;
      let started: StartedTarget | undefined;
      try {
        let source: TraceSource;
        const traced = correlationId ?? '';
        if (live) {
          const seconds = number('--live', flags.live ?? '30', (n) => n > 0, 'a number of seconds > 0');
          const idleMs = number('--idle', flags.idle, (n) => n >= 0, 'milliseconds ≥ 0');
          const manifest = choice?.kind === 'manifest' ? choice : undefined;
          if (flags.start !== undefined && !manifest) {
            throw new CliExit(2, '--start needs a target manifest (troupe.config.* or --config FILE)');
          }
          if (!manifest && !flags.exchange) {
            throw new ObserveError(
              'invalid-argument',
              '--live needs --exchange <name> (or a target manifest)',
            );
          }
          if (manifest && flags.start !== undefined) {
            started = await manifest.target.start({
              namespace: 'trace',
              random: seededRandom(Date.now() | 0),
              log: (line) => console.error(line),
            });
          }
          const url =
            flags.amqpUrl ??
            started?.brokerUrl ??
            (manifest ? manifestBrokerUrl(manifest.loaded.config) : undefined);
          transport = new AmqpTransport({
            ...(url ? { url } : {}),
            connectionName: connectionName('trace'),
            onError: (error) => console.error(error.message),
          });
          await transport.connected();
          const flowToStart = typeof flags.start === 'string' ? flags.start : undefined;
          const system = started;
          source = {
            kind: 'live',
            transport,
            exchange: flags.exchange ?? '',
            ...(manifest && !flags.exchange
              ? {
                  exchanges:
                    system?.exchanges ??
                    manifest.loaded.config.broker.exchanges.map(({ name, type, routingKeys }) => ({
                      name,
                      type,
                      ...(routingKeys ? { routingKeys } : {}),
                    })),
                  directQueues: manifest.loaded.config.broker.directQueues ?? [],
                }
              : {}),
            seconds,
            idleMs,
            adapter: adapterFor(manifest, flags),
            ...(flags.persist ? { persistNamespace: flags.namespace } : {}),
            ...(flags.databaseUrl ? { connectionString: flags.databaseUrl } : {}),
            // Started only once the tap is armed, or its first events would slip past.
            ...(system
              ? { startFlow: () => system.startFlow(0, flowToStart).then((flow) => flow.correlationId) }
              : {}),
          };
        } else {
          source = {
            kind: 'store',
            namespace: flags.namespace,
            ...(flags.databaseUrl ? { connectionString: flags.databaseUrl } : {}),
          };
        }
        await printTrace(traced, source, flags, choice);
      } catch (error) {
        if (error instanceof ObserveError && error.code === 'trace-not-found') {
          console.error(error.message);
          process.exitCode = 1;
          return;
        }
        throw error;
      } finally {
        await transport?.close();
        await started?.stop();
      }
    });
}

async function printTrace(
  correlationId: string,
  source: TraceSource,
  flags: TraceFlags,
  choice: TargetChoice | undefined,
): Promise<void> {
  const result = await traceFlow({ correlationId, source, outDir: flags.out, ...terminal(flags, choice) });
  print(result);
}

function print(result: Awaited<ReturnType<typeof traceFlow>>): void {
  console.log(result.timeline);
  console.log(result.summary);
  for (const file of result.files) console.log(`wrote ${file}`);
}

function terminal(
  flags: TraceFlags,
  choice: TargetChoice | undefined,
): { terminalTypes?: readonly string[] } {
  const fromFlag = flags.terminal
    ?.split(',')
    .map((type) => type.trim())
    .filter(Boolean);
  const types = fromFlag ?? (choice?.kind === 'manifest' ? terminalTypesOf(choice.target) : undefined);
  return types && types.length > 0 ? { terminalTypes: types } : {};
}

function adapterFor(choice: TargetChoice | undefined, flags: TraceFlags) {
  if (choice?.kind === 'manifest' && flags.businessKey === undefined) return choice.target.adapter;
  return troupeEnvelopeAdapter(flags.businessKey ?? 'orderId');
}

function number(flag: string, value: string, ok: (n: number) => boolean, expected: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || !ok(parsed)) {
    throw new ObserveError('invalid-argument', `${flag}: expected ${expected}, got "${value}"`);
  }
  return parsed;
}

async function listFlows(flags: TraceFlags): Promise<void> {
  const store = await PgEventStore.open({
    namespace: flags.namespace,
    ...(flags.databaseUrl ? { connectionString: flags.databaseUrl } : {}),
  });
  try {
    const ids = await store.correlationIds(20);
    if (ids.length === 0)
      console.log(`No flows in event store namespace "${flags.namespace}" (${store.schema}).`);
    else console.log([`Recent flows in ${store.schema}:`, ...ids.map((id) => `  ${id}`)].join('\n'));
  } finally {
    await store.close();
  }
}
