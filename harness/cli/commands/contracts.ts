import { Option, type Command } from 'commander';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { generateAsyncApi } from '../../contracts/asyncapi/generate-asyncapi';
import { brokerFromEnv, describeBroker, requireBroker } from '../../contracts/broker/broker-config';
import { ciContext } from '../../contracts/broker/ci-context';
import { canIDeployAll, formatDeployTable } from '../../contracts/broker/can-i-deploy-all';
import { envValue } from '../../contracts/broker/env-value';
import { explainBrokerFailure, formatBrokerHint } from '../../contracts/broker/explain-broker-failure';
import {
  publishPacts,
  recordDeployment,
  type BrokerCommandResult,
} from '../../contracts/broker/pact-broker-cli';
import type { CompatibilityMode } from '../../contracts/compat/check-compatibility';
import {
  compareCatalogWithSnapshots,
  formatCompatibilityReport,
} from '../../contracts/compat/compare-catalog';
import { writeSnapshots } from '../../contracts/compat/schema-snapshots';
import { lintCatalog } from '../../contracts/lint/lint-catalog';
import { listQueueBindings } from '../../contracts/_internals/broker-topology';
import { pactsFromTraffic, writeRecordedPacts } from '../../contracts/record/pacts-from-traffic';
import { startTrafficRecorder } from '../../contracts/record/record-traffic';
import { loadConfig } from '../../config/load-config';
import type { TargetExchange } from '../../target/target';
import { AmqpTransport } from '../../transport/amqp/amqp-transport';
import { connectionName } from '../../transport/amqp/connection-name';
import {
  verifyProviderTarget,
  type MessageProviderTarget,
} from '../../contracts/pact/message-provider-target';
import type { PactSource } from '../../contracts/pact/verify-message-provider';
import type { EventDefinition } from '../../events/define-event';
import { importUserModule } from '../../_internals/import-user-module';
import { CliExit } from '../cli-exit';

/** What `--catalog <module>` must export: the event definitions, and optionally who consumes what. */
interface CatalogModule {
  readonly definitions: readonly EventDefinition[];
  readonly consumers?: Readonly<Record<string, readonly string[]>>;
}

/** What `--target <module>` must export for `troupe contracts verify`. */
interface ProviderTargetsModule {
  providerTargets(): readonly MessageProviderTarget[];
}

const defaultTarget = 'test/contract/shop/shop-provider.ts';

/**
 * Registers `troupe contracts`: schema compatibility, AsyncAPI, catalog lint, provider verification and the Pact
 * Broker workflow (publish → can-i-deploy → record-deployment). Broker credentials come only from the environment
 * (PACT_BROKER_BASE_URL, PACT_BROKER_TOKEN or PACT_BROKER_USERNAME/PASSWORD) and are never printed.
 */
export function registerContractsCommand(program: Command): void {
  process.env['PACT_DO_NOT_TRACK'] = 'true';
  process.env['SCARF_ANALYTICS'] = 'false';
  const contracts = program
    .command('contracts')
    .description(
      'Message contracts: compat, asyncapi, lint, verify, record, publish, can-i-deploy, record-deployment',
    );
  const catalogOption = (): Option =>
    new Option(
      '--catalog <module>',
      'module exporting `definitions` (and optional `consumers`); default: the reference shop',
    );

  contracts
    .command('compat')
    .description(
      'compare the catalog with its last released JSON Schema snapshots; names each breaking change',
    )
    .addOption(
      new Option('--mode <mode>', 'Confluent compatibility mode')
        .choices(['BACKWARD', 'FORWARD', 'FULL'])
        .default('BACKWARD'),
    )
    .option('--snapshots <dir>', 'released schema snapshots', 'contracts/snapshots')
    .option('--release', 'write the snapshots of versions not released yet (after the check passes)')
    .addOption(catalogOption())
    .action(
      async (options: {
        mode: CompatibilityMode;
        snapshots: string;
        release?: boolean;
        catalog?: string;
      }) => {
        const { definitions } = await loadCatalog(options.catalog);
        const report = compareCatalogWithSnapshots(definitions, options.snapshots, options.mode);
        console.log(formatCompatibilityReport(report));
        if (!report.compatible) throw new CliExit(1, `incompatible schema change (${options.mode})`);
        if (options.release) {
          for (const file of writeSnapshots(definitions, options.snapshots)) console.log(`released ${file}`);
        }
      },
    );

  contracts
    .command('asyncapi')
    .description('print the AsyncAPI 3.0 document of the catalog (troupe contracts asyncapi > asyncapi.yaml)')
    .addOption(new Option('--format <format>').choices(['yaml', 'json']).default('yaml'))
    .option('--exchange <name>', 'the topic exchange events are published to', 'troupe.shop.events')
    .option('--title <title>', 'document title', 'Troupe reference shop')
    .option('--api-version <version>', 'document version', '1.0.0')
    .addOption(catalogOption())
    .action(
      async (options: {
        format: 'yaml' | 'json';
        exchange: string;
        title: string;
        apiVersion: string;
        catalog?: string;
      }) => {
        const { definitions, consumers } = await loadCatalog(options.catalog);
        const document = generateAsyncApi(definitions, {
          title: options.title,
          version: options.apiVersion,
          exchange: options.exchange,
          ...(consumers ? { consumers } : {}),
        });
        process.stdout.write(
          options.format === 'json' ? `${JSON.stringify(document, null, 2)}\n` : stringify(document),
        );
      },
    );

  contracts
    .command('lint')
    .description('fail on events that carry sensitive data (card numbers, CVV, passwords…)')
    .addOption(catalogOption())
    .action(async (options: { catalog?: string }) => {
      const report = lintCatalog((await loadCatalog(options.catalog)).definitions);
      for (const finding of report.findings) console.log(`${finding.rule}: ${finding.message}`);
      if (!report.ok) throw new CliExit(1, `${report.findings.length} sensitive field(s) in the catalog`);
      console.log('catalog lint: no sensitive fields');
    });

  contracts
    .command('verify')
    .description('verify providers against pacts/ (or the broker when PACT_BROKER_BASE_URL is set)')
    .option('--provider <name...>', 'only these providers')
    .option('--dir <dir>', 'pact files, when no broker is configured', 'pacts')
    .option('--target <module>', 'module exporting providerTargets()', defaultTarget)
    .option(
      '--pact-url <url>',
      "one pact by URL (the broker webhook's ${pactbroker.pactUrl}); needs --provider",
    )
    .option(
      '--no-publish',
      'do not publish verification results to the broker (and do not fail when it cannot)',
    )
    .action(
      async (options: {
        provider?: string[];
        dir: string;
        target: string;
        pactUrl?: string;
        publish: boolean;
      }) => {
        const module = (await importUserModule(options.target)) as Partial<ProviderTargetsModule>;
        if (typeof module.providerTargets !== 'function') {
          throw new CliExit(2, `${options.target} does not export providerTargets()`);
        }
        const broker = brokerFromEnv();
        const ci = ciContext();
        if (options.pactUrl !== undefined && options.provider?.length !== 1) {
          throw new CliExit(2, '--pact-url needs exactly one --provider (the pact names it)');
        }
        const targets = module.providerTargets();
        // A misspelt --provider would otherwise verify nothing and pass.
        const unknown = (options.provider ?? []).filter(
          (name) => !targets.some((target) => target.provider === name),
        );
        if (unknown.length > 0) {
          throw new CliExit(
            2,
            `no provider target named ${unknown.join(', ')} in ${options.target} ` +
              `(known: ${targets.map((target) => target.provider).join(', ')})`,
          );
        }
        let failed = 0;
        let verified = 0;
        let published = 0;
        let unpublished = 0;
        for (const target of targets) {
          if (options.provider && !options.provider.includes(target.provider)) continue;
          const publish = options.publish;
          const source: PactSource =
            options.pactUrl !== undefined
              ? { kind: 'url', pactUrl: options.pactUrl, broker: requireBroker(), ci, publish }
              : broker
                ? { kind: 'broker', broker, ci, publish }
                : { kind: 'files', pactUrls: pactFilesFor(options.dir, target.provider) };
          if (source.kind === 'files' && source.pactUrls.length === 0) continue;
          const report = await verifyProviderTarget(target, source);
          for (const interaction of report.interactions) {
            const verdict = interaction.ok ? 'ok  ' : interaction.pending ? 'PEND' : 'FAIL';
            console.log(
              `${verdict} ${report.provider} → ${interaction.consumer}: ${interaction.description}`,
            );
            for (const mismatch of interaction.mismatches)
              console.log(`       ${mismatch.path}: ${mismatch.message}`);
          }
          if (!report.ok) failed += 1;
          for (const failure of report.publication?.failures ?? []) {
            console.log(`NOT PUBLISHED ${report.provider} → ${failure.consumer}: ${failure.error.message}`);
          }
          unpublished += report.publication?.failures.length ?? 0;
          published += report.publication?.published ?? 0;
          verified += 1;
        }
        const where = broker ? `broker ${describeBroker(broker)}` : options.dir;
        const results =
          broker || options.pactUrl !== undefined
            ? options.publish
              ? `; ${published} result(s) published, ${unpublished} NOT published`
              : '; results not published (--no-publish)'
            : '';
        console.log(`${verified - failed}/${verified} provider(s) verified against ${where}${results}`);
        if (failed > 0 || unpublished > 0) {
          const reasons = [
            ...(failed > 0 ? [`${failed} provider(s) failed verification`] : []),
            ...(unpublished > 0
              ? [
                  `${unpublished} verification result(s) could not be published (--no-publish to skip publishing)`,
                ]
              : []),
          ];
          throw new CliExit(1, `${reasons.join('; ')} against ${where}`);
        }
      },
    );

  contracts
    .command('record')
    .description(
      'tap a running system for a while and write consumer pact skeletons (one per consumer/provider pair) to review',
    )
    .option('--config <manifest>', 'take the exchanges from this troupe.config manifest')
    .option('--exchange <name:type...>', 'exchanges to tap (type: topic, fanout, direct, headers)')
    .option('--for <seconds>', 'record this long', '60')
    .option('--max-messages <n>', 'stop after this many publications')
    .option('--out <dir>', 'where the pact skeletons go', 'pacts/recorded')
    .option('--consumer <queue=name...>', 'name the consumer behind a queue (default: its last word)')
    .option(
      '--provider <type=name...>',
      'name the producer of an event type (default: first word of the routing key)',
    )
    .action(
      async (options: {
        config?: string;
        exchange?: string[];
        for: string;
        maxMessages?: string;
        out: string;
        consumer?: string[];
        provider?: string[];
      }) => {
        const exchanges = await recordExchanges(options.config, options.exchange);
        const seconds = Number(options.for);
        if (!(seconds > 0)) throw new CliExit(2, `--for ${options.for}: a positive number of seconds`);
        const maxMessages = options.maxMessages === undefined ? undefined : Number(options.maxMessages);
        const consumers = pairs(options.consumer, '--consumer');
        const providers = pairs(options.provider, '--provider');
        const bindings = await listQueueBindings();
        const transport = new AmqpTransport({ connectionName: connectionName('contracts-record') });
        try {
          const recorder = await startTrafficRecorder({
            transport,
            exchanges,
            bindings,
            durationMs: seconds * 1000,
            ...(maxMessages ? { until: (messages) => messages.length >= maxMessages } : {}),
          });
          console.log(
            `recording ${exchanges.map((exchange) => exchange.name).join(', ')} for ${seconds} s` +
              (maxMessages ? ` or ${maxMessages} message(s)` : '') +
              ' (Ctrl-C stops early)',
          );
          const stop = (): void => void recorder.stop();
          process.once('SIGINT', stop);
          const messages = await recorder.finished.finally(() => process.removeListener('SIGINT', stop));
          const pacts = pactsFromTraffic(messages, {
            exchanges,
            bindings,
            consumerOf: (queue) =>
              consumers.get(queue) ??
              (queue.startsWith('troupe.') || queue.startsWith('amq.') ? undefined : queue.split('.').pop()),
            ...(providers.size > 0
              ? {
                  providerOf: (message) =>
                    providers.get(message.type ?? '') ??
                    (message.routingKey.split('.')[0] || message.exchange),
                }
              : {}),
          });
          const files = writeRecordedPacts(options.out, pacts);
          console.log(`${messages.length} publication(s) seen; ${files.length} pact skeleton(s) written:`);
          for (const pact of pacts) {
            console.log(`  ${path.join(options.out, pact.file)}`);
            for (const interaction of pact.interactions) {
              console.log(`    ${interaction.description} (${interaction.samples} sample(s))`);
              for (const field of interaction.fields) console.log(`      ${field.path}: ${field.kind}`);
              for (const note of interaction.notes) console.log(`      note: ${note}`);
            }
          }
          if (files.length === 0)
            throw new CliExit(1, 'nothing recorded: no publication reached a bound queue');
        } finally {
          await transport.close();
        }
      },
    );

  contracts
    .command('publish')
    .description('publish pacts to the broker (version = git sha, branch = git branch, build URL from CI)')
    .option('--dir <dir>', 'pact files', 'pacts')
    .action(async (options: { dir: string }) => {
      const ci = ciContext();
      report(await publishPacts({ broker: requireBroker(), ci, pactDir: options.dir }));
    });

  contracts
    .command('can-i-deploy')
    .description('ask the broker whether each pacticipant at this git sha can be deployed')
    .option('--pacticipant <name...>', 'pacticipants (default: every one in the pact files)')
    .option('--version <version>', 'version (default: git sha)')
    .option('--to-environment <env>', 'target environment', defaultEnvironment())
    .option('--retry-while-unknown <times>', 'poll while results are missing', '0')
    .option('--dir <dir>', 'pact files, to list pacticipants', 'pacts')
    .action(
      async (options: {
        pacticipant?: string[];
        version?: string;
        toEnvironment: string;
        retryWhileUnknown: string;
        dir: string;
      }) => {
        const broker = requireBroker();
        const version = options.version ?? ciContext().version;
        const verdicts = await canIDeployAll({
          broker,
          pacticipants: options.pacticipant ?? pacticipantsIn(options.dir),
          version,
          environment: options.toEnvironment,
          retryWhileUnknown: Number(options.retryWhileUnknown),
        });
        console.log(formatDeployTable(verdicts, options.toEnvironment));
        const blocked = verdicts.filter((verdict) => verdict.verdict !== 'yes');
        if (blocked.length > 0) {
          throw new CliExit(
            1,
            `cannot deploy to ${options.toEnvironment}: ` +
              blocked.map((verdict) => `${verdict.pacticipant} (${verdict.verdict})`).join(', '),
          );
        }
      },
    );

  contracts
    .command('record-deployment')
    .description('record in the broker that each pacticipant at this git sha is deployed')
    .option('--pacticipant <name...>', 'pacticipants (default: every one in the pact files)')
    .option('--version <version>', 'version (default: git sha)')
    .option('--environment <env>', 'environment', defaultEnvironment())
    .option('--dir <dir>', 'pact files, to list pacticipants', 'pacts')
    .action(
      async (options: { pacticipant?: string[]; version?: string; environment: string; dir: string }) => {
        const broker = requireBroker();
        const version = options.version ?? ciContext().version;
        // Every pacticipant, even after one failed: the summary names all that were not recorded.
        const failed: string[] = [];
        for (const pacticipant of options.pacticipant ?? pacticipantsIn(options.dir)) {
          const result = await recordDeployment({
            broker,
            pacticipant,
            version,
            environment: options.environment,
          });
          try {
            report(result);
          } catch (error) {
            if (!(error instanceof CliExit)) throw error;
            console.log(`NOT RECORDED ${pacticipant}: ${error.message}`);
            failed.push(pacticipant);
          }
        }
        if (failed.length > 0) {
          throw new CliExit(
            1,
            `deployment to ${options.environment} not recorded for ${failed.join(', ')} (see above)`,
          );
        }
      },
    );
}

async function loadCatalog(module: string | undefined): Promise<CatalogModule> {
  if (module) {
    const loaded = (await importUserModule(module)) as Partial<CatalogModule>;
    if (!Array.isArray(loaded.definitions)) throw new CliExit(2, `${module} does not export \`definitions\``);
    return loaded as CatalogModule;
  }
  // The CLI's reference target: the shop's catalog, and who consumes what from the services' handlers.
  const { shopCatalog } = await import('../../../reference-services/events/catalog');
  const { consumedBy } = await import('../../../reference-services/services');
  const consumers: Record<string, string[]> = {};
  for (const [service, types] of Object.entries(consumedBy)) {
    for (const type of types) consumers[type] = [...(consumers[type] ?? []), service];
  }
  return { definitions: shopCatalog.definitions, consumers };
}

function pactFiles(dir: string): { file: string; consumer: string; provider: string }[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => {
      const pact = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as {
        consumer: { name: string };
        provider: { name: string };
      };
      return { file: path.join(dir, file), consumer: pact.consumer.name, provider: pact.provider.name };
    });
}

function pactFilesFor(dir: string, provider: string): string[] {
  return pactFiles(dir)
    .filter((pact) => pact.provider === provider)
    .map((pact) => pact.file);
}

function pacticipantsIn(dir: string): string[] {
  return [...new Set(pactFiles(dir).flatMap((pact) => [pact.consumer, pact.provider]))].sort();
}

/** The exchanges to record: from a manifest, or `name:type` arguments. */
async function recordExchanges(
  config: string | undefined,
  specs: string[] | undefined,
): Promise<TargetExchange[]> {
  if (config !== undefined) {
    const loaded = await loadConfig({ file: config });
    return loaded.config.broker.exchanges.map((exchange) => ({
      name: exchange.name,
      type: exchange.type,
      ...(exchange.routingKeys ? { routingKeys: exchange.routingKeys } : {}),
    }));
  }
  if (!specs || specs.length === 0)
    throw new CliExit(2, 'record: give --config <manifest> or --exchange <name:type>');
  return specs.map((spec) => {
    const at = spec.lastIndexOf(':');
    const type = spec.slice(at + 1);
    if (at <= 0 || !['topic', 'fanout', 'direct', 'headers'].includes(type)) {
      throw new CliExit(2, `--exchange ${spec}: expected <name>:<topic|fanout|direct|headers>`);
    }
    return { name: spec.slice(0, at), type: type as TargetExchange['type'] };
  });
}

function pairs(values: readonly string[] | undefined, option: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const value of values ?? []) {
    const at = value.indexOf('=');
    if (at <= 0 || at === value.length - 1) throw new CliExit(2, `${option} ${value}: expected <key>=<name>`);
    map.set(value.slice(0, at), value.slice(at + 1));
  }
  return map;
}

function report(result: BrokerCommandResult): void {
  console.log(`$ ${result.command}`);
  if (result.output.trim()) console.log(result.output.trimEnd());
  if (!result.ok) {
    const hint = explainBrokerFailure(result.output);
    throw new CliExit(
      1,
      `pact-broker failed (exit ${result.exitCode})${hint ? `: ${formatBrokerHint(hint)}` : ''}`,
    );
  }
}

function defaultEnvironment(): string {
  return envValue(process.env, 'PACT_ENVIRONMENT') ?? 'production';
}
