import type { Command } from 'commander';
import { ObserveError } from '../../observe/observe-error';
import { PgEventStore } from '../../observe/pg-event-store';
import { traceFlow, type TraceSource } from '../../observe/trace';
import { troupeEnvelopeAdapter } from '../../events/envelope-adapter';
import { AmqpTransport } from '../../transport/amqp/amqp-transport';

interface TraceFlags {
  readonly namespace: string;
  readonly databaseUrl?: string;
  readonly live?: string;
  readonly exchange?: string;
  readonly amqpUrl?: string;
  readonly idle: string;
  readonly persist?: boolean;
  readonly businessKey: string;
  readonly out: string;
  readonly terminal?: string;
}

/**
 * Registers `troupe trace [correlationId]`: prints a flow's timeline and writes its Mermaid diagram and HTML
 * report. Source: the PostgreSQL event store (default; what a tap persisted with `PgEventStore.persist`), or with
 * `--live <seconds> --exchange <name>` a tap on the broker. Without a correlationId it lists recent flows in the
 * store.
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
    .option('--exchange <name>', 'exchange to tap with --live')
    .option(
      '--amqp-url <url>',
      'broker URL for --live (default: AMQP_URL or amqp://guest:guest@127.0.0.1:5672)',
    )
    .option('--idle <ms>', 'with --live: stop once the flow was quiet this long', '1000')
    .option('--persist', 'with --live: also store what the tap saw in the namespace')
    .option('--business-key <field>', 'payload field holding the business key', 'orderId')
    .option(
      '--terminal <types>',
      'comma-separated event types that end a flow: adds lost/duplicated accounting to the summary',
    )
    .option('--out <dir>', 'where to write <correlationId>.mmd and .html', 'reports/trace')
    .action(async (correlationId: string | undefined, flags: TraceFlags) => {
      if (correlationId === undefined) {
        await listFlows(flags);
        return;
      }
      let transport: AmqpTransport | undefined;
      try {
        let source: TraceSource;
        if (flags.live !== undefined) {
          const seconds = Number(flags.live);
          if (!Number.isFinite(seconds) || seconds <= 0) {
            throw new ObserveError(
              'invalid-argument',
              `--live: expected a number of seconds > 0, got "${flags.live}"`,
            );
          }
          const idleMs = Number(flags.idle);
          if (!Number.isFinite(idleMs) || idleMs < 0) {
            throw new ObserveError(
              'invalid-argument',
              `--idle: expected milliseconds ≥ 0, got "${flags.idle}"`,
            );
          }
          if (!flags.exchange) throw new ObserveError('invalid-argument', '--live needs --exchange <name>');
          transport = new AmqpTransport({
            ...(flags.amqpUrl ? { url: flags.amqpUrl } : {}),
            onError: (error) => console.error(error.message),
          });
          await transport.connected();
          source = {
            kind: 'live',
            transport,
            exchange: flags.exchange,
            seconds,
            idleMs,
            adapter: troupeEnvelopeAdapter(flags.businessKey),
            ...(flags.persist ? { persistNamespace: flags.namespace } : {}),
            ...(flags.databaseUrl ? { connectionString: flags.databaseUrl } : {}),
          };
        } else {
          source = {
            kind: 'store',
            namespace: flags.namespace,
            ...(flags.databaseUrl ? { connectionString: flags.databaseUrl } : {}),
          };
        }
        const terminalTypes = flags.terminal
          ?.split(',')
          .map((type) => type.trim())
          .filter(Boolean);
        const result = await traceFlow({
          correlationId,
          source,
          outDir: flags.out,
          ...(terminalTypes ? { terminalTypes } : {}),
        });
        console.log(result.timeline);
        console.log(result.summary);
        for (const file of result.files) console.log(`wrote ${file}`);
      } catch (error) {
        if (error instanceof ObserveError && error.code === 'trace-not-found') {
          console.error(error.message);
          process.exitCode = 1;
          return;
        }
        throw error;
      } finally {
        await transport?.close();
      }
    });
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
