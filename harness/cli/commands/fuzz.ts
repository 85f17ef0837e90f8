import path from 'node:path';
import type { Command } from 'commander';
import { ChaosError } from '../../chaos/chaos-error';
import { describeConversion } from '../../chaos/plan/describe-conversion';
import { planFromSchedule, type ScheduleMapping } from '../../chaos/plan/plan-from-schedule';
import { readScheduleArgument } from '../../chaos/plan/read-schedule-argument';
import type { ChaosPlan } from '../../chaos/plan/chaos-fault';
import type { Schedule } from '../../fuzz/schedule';
import { fuzzBroker, formatBrokerFuzzReport, type BrokerFuzzReport } from '../../fuzz/broker/fuzz-broker';
import type { BrokerTarget } from '../../fuzz/broker/broker-target';
import { fuzzCampaign, type CampaignTargetSpec } from '../../fuzz/fuzz-campaign';
import { fuzzSimulation, parseReplayToken } from '../../fuzz/fuzz-simulation';
import { formatFuzzReport } from '../../fuzz/report';
import type { SimTarget } from '../../fuzz/sim-target';
import type { KnownBug } from '../../../reference-services/kit/bugs';
import { importUserModule } from '../../_internals/import-user-module';
import { startProxyRouter, type ProxyRouter } from '../../fuzz/broker/proxy-router';
import type { Target } from '../../target/target';
import { manifestBrokerUrl } from '../../target/config-target';
import { CliExit } from '../cli-exit';
import { CONFIG_OPTION_HELP, resolveTarget } from '../resolve-target';
import { progressBar } from './fuzz/progress-bar';

interface FuzzCommandOptions {
  readonly mode: string;
  readonly runs?: string;
  readonly seed?: string;
  readonly bug: string[];
  readonly target?: string;
  readonly replay?: string;
  readonly maxOrders: string;
  readonly schedules: string;
  readonly duplicateRate: string;
  readonly cuts?: string;
  readonly schedule?: string;
  readonly restartBroker?: boolean;
  readonly flowsPerSecond?: string;
  readonly json?: boolean;
  readonly workers?: string;
  readonly shard?: string;
  readonly config?: string;
  readonly proxy?: boolean;
}

/** Registers `troupe fuzz`: delivery fuzzing in deterministic simulation or on the live broker. */
export function registerFuzzCommand(program: Command): void {
  program
    .command('fuzz')
    .description(
      'fuzz delivery schedules (duplicates, reordering, redelivery, crashes) against the reference services or ' +
        'your own (--target): deterministic simulation (sim) or live RabbitMQ (broker)',
    )
    .option('--mode <mode>', 'sim | broker', 'sim')
    .option(
      '--runs <n>',
      'sim: fast-check runs (workloads, each with several schedules; default 200); broker: flows (default 50)',
    )
    .option('--seed <n>', 'seed (printed; the same seed replays the same session)')
    .option('--bug <name>', 'switch on a known bug of the reference services (repeatable)', collect, [])
    .option(
      '--target <file>',
      'module exporting `target` (a SimTarget, or a BrokerTarget with --mode broker)',
    )
    .option('--replay <seed:path>', 'sim: replay one counterexample from a report')
    .option('--workers <n>', 'sim: worker threads for one campaign (default: every core)')
    .option('--shard <k/n>', 'sim: run shard k of n of the campaign (split across CI machines)')
    .option('--max-orders <n>', 'sim, reference shop: most orders per workload', '4')
    .option('--schedules <n>', 'sim: schedules tried per workload', '4')
    .option(
      '--duplicate-rate <p>',
      "broker: share of messages duplicated (through the proxy: of each service's deliveries)",
      '0.1',
    )
    .option('--cuts <n>', "broker: cuts of the services' own connections (default 1; 0 with --schedule)")
    .option(
      '--schedule <file|json>',
      'broker: replay a simulated counterexample (troupe fuzz --json: the report or its failure.schedule) ' +
        'through the chaos proxy, instead of a plan drawn from the seed',
    )
    .option('--restart-broker', 'broker: restart RabbitMQ once (disturbs every client of the broker!)')
    .option('--flows-per-second <n>', 'broker: pace flow starts so cuts and restarts land mid-traffic')
    .option('--config <file>', `broker: ${CONFIG_OPTION_HELP}`)
    .option(
      '--no-proxy',
      "broker, manifest targets and the reference shop: don't route the services through the AMQP chaos proxy " +
        '(copy chaos instead; cut connections by name or process: Linux, local broker)',
    )
    .option('--json', 'print the report as JSON on stdout')
    .addHelpText(
      'after',
      '\nKnown bugs: payment-not-idempotent, inventory-dedupe-after-commit, ack-before-commit.' +
        '\nExit codes: 0 no violation, 1 a violation (report printed with a replay command), 2 usage error.' +
        "\nExample: troupe fuzz --runs 500 --bug payment-not-idempotent; troupe fuzz --replay '42:3:0:1' --bug …",
    )
    .action(async (options: FuzzCommandOptions) => {
      process.exitCode = options.mode === 'broker' ? await brokerMode(options) : await simMode(options);
    });
}

async function simMode(options: FuzzCommandOptions): Promise<number> {
  if (options.mode !== 'sim') throw new CliExit(2, `--mode must be sim or broker, got "${options.mode}"`);
  const replay = options.replay !== undefined ? parseToken(options.replay) : undefined;
  const seed = replay?.seed ?? (options.seed !== undefined ? integer('--seed', options.seed) : undefined);
  const runs = options.runs !== undefined ? positive('--runs', options.runs) : 200;
  const schedulesPerWorkload = positive('--schedules', options.schedules);
  const workers = options.workers !== undefined ? positive('--workers', options.workers) : undefined;
  const shard = options.shard !== undefined ? parseShard(options.shard) : undefined;
  const spec = await targetSpec(options);
  const bar = progressBar(replay ? 'replaying' : 'fuzzing');
  const onProgress = (p: { runs: number; planned: number; schedules: number; shrinking: boolean }): void =>
    bar.update(p.runs, p.planned, p.shrinking ? `(shrinking, ${p.schedules} schedules)` : '');
  const command = (token: string): string => replayCommand(options, token);
  // A replay is one fast-check session in this thread; a search is a campaign over the worker threads.
  const report = replay
    ? await fuzzSimulation(await loadTargetSpec(spec, options), {
        runs,
        seed: replay.seed,
        path: replay.path,
        schedulesPerWorkload,
        onProgress,
        replayCommand: command,
      })
    : await fuzzCampaign(spec, {
        runs,
        // Bundled (dist/), the shop has no file a worker could load: the campaign runs in this thread.
        ...(spec.module === '' ? { workers: 1, inThread: () => loadTargetSpec(spec, options) } : {}),
        ...(seed !== undefined ? { seed } : {}),
        ...(workers !== undefined ? { workers } : {}),
        ...(shard ? { shard } : {}),
        schedulesPerWorkload,
        onProgress,
        replayCommand: command,
      });
  bar.finish();
  console.log(options.json ? JSON.stringify(report, null, 2) : formatFuzzReport(report));
  return report.failure ? 1 : 0;
}

/** Where worker threads find the target: the user's module, or the shop's (loaded lazily, the default). */
async function targetSpec(options: FuzzCommandOptions): Promise<CampaignTargetSpec> {
  if (options.target) {
    await loadTarget<SimTarget<unknown>>(options.target, 'sim'); // validates it here, with a usage error
    return { module: path.resolve(options.target) };
  }
  return {
    module: shopSimTargetModule(),
    exportName: 'shopSimTarget',
    args: { bugs: await bugs(options.bug), maxOrders: positive('--max-orders', options.maxOrders) },
  };
}

/** The shop target's own file (from source); empty when it is bundled into the CLI (workers then load nothing). */
function shopSimTargetModule(): string {
  try {
    return require.resolve('../../../reference-services/target/shop-sim-target');
  } catch {
    return '';
  }
}

async function loadTargetSpec(
  spec: CampaignTargetSpec,
  options: FuzzCommandOptions,
): Promise<SimTarget<unknown>> {
  if (options.target) return loadTarget<SimTarget<unknown>>(options.target, 'sim');
  const { shopSimTarget } = await import('../../../reference-services/target/shop-sim-target');
  return shopSimTarget(spec.args as Parameters<typeof shopSimTarget>[0]);
}

function parseShard(value: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count) {
    throw new CliExit(2, `--shard must be k/n with 1 ≤ k ≤ n (e.g. 2/4), got "${value}"`);
  }
  return { index, count };
}

async function brokerMode(options: FuzzCommandOptions): Promise<number> {
  if (options.replay !== undefined)
    throw new CliExit(
      2,
      '--replay is for --mode sim; to replay its counterexample on the broker, pass its schedule: --schedule',
    );
  // Read before anything starts: a bad schedule is a usage error, named by field.
  const schedule = options.schedule !== undefined ? readSchedule(options.schedule) : undefined;
  if (schedule !== undefined && (options.proxy === false || options.target !== undefined))
    throw new CliExit(
      2,
      '--schedule replays faults through the chaos proxy: it needs the reference shop or a manifest, ' +
        'routed through the proxy (not --target, not --no-proxy)',
    );
  // Known before the proxy starts: it seeds the proxy's message-fault plan and its random choices too.
  const seed =
    options.seed !== undefined ? integer('--seed', options.seed) : (Date.now() ^ (process.pid << 16)) | 0;
  const flows = options.runs !== undefined ? positive('--runs', options.runs) : 50;
  const rate = Number(options.duplicateRate);
  if (!(rate >= 0 && rate <= 1))
    throw new CliExit(2, `--duplicate-rate must be in [0, 1], got "${options.duplicateRate}"`);
  const cuts = integer('--cuts', options.cuts ?? (schedule !== undefined ? '0' : '1'));
  const flowsPerSecond =
    options.flowsPerSecond !== undefined ? positive('--flows-per-second', options.flowsPerSecond) : undefined;
  const { target, firstLine, router, mapping } = await brokerTarget(options, seed);
  const say = (line: string): void => {
    // What runs goes to stderr with --json: stdout is the report.
    if (options.json) console.error(line);
    else console.log(line);
  };
  say(firstLine);
  let plan: ChaosPlan | undefined;
  if (schedule !== undefined) {
    try {
      plan = replayPlan(schedule, mapping, seed, say);
    } catch (error) {
      await router?.stop();
      throw error;
    }
  }
  const bar = progressBar('flows ended');
  // Ctrl-C ends the session cleanly: its queues and connections on the shared broker are removed.
  const abort = new AbortController();
  const onSignal = (): void => {
    process.stderr.write('\ninterrupted: cleaning up the session (Ctrl-C again to force)\n');
    process.removeListener('SIGINT', onSignal);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let report: BrokerFuzzReport;
  try {
    report = await fuzzBroker(target, {
      signal: abort.signal,
      flows,
      seed,
      chaos: { duplicateRate: rate },
      cuts,
      restartBroker: options.restartBroker ?? false,
      ...(flowsPerSecond !== undefined ? { flowsPerSecond } : {}),
      onProgress: (p) => bar.update(p.ended, p.total, `(${p.started} started)`),
      log: (line) => process.stderr.write(`\n${line}\n`),
      ...(router ? { router } : {}),
      ...(plan ? { plan } : {}),
    });
  } finally {
    await router?.stop();
    // Also when the session fails: a leftover SIGINT listener would swallow the user's next Ctrl-C.
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    bar.finish();
  }
  console.log(options.json ? JSON.stringify(report, null, 2) : formatBrokerFuzzReport(report));
  if (!report.ok && !options.json) {
    // The seed replays the workload and the chaos decisions; the broker's timing is live, so rerun a few times.
    console.log(`rerun: ${brokerRerunCommand(options, report.seed, cuts, schedule)}`);
  }
  return report.ok && !abort.signal.aborted ? 0 : 1;
}

function readSchedule(value: string): Schedule {
  try {
    return readScheduleArgument(value, '--schedule');
  } catch (error) {
    if (error instanceof ChaosError) throw new CliExit(2, error.message, { cause: error });
    throw error;
  }
}

/** The schedule as a plan for the routed services; every simulated queue must belong to one of them. */
function replayPlan(
  schedule: Schedule,
  mapping: Omit<ScheduleMapping, 'seed' | 'stepMs'> | undefined,
  seed: number,
  say: (line: string) => void,
): ChaosPlan {
  if (mapping === undefined)
    throw new CliExit(2, '--schedule: the services are not routed through the chaos proxy');
  schedule.faults.forEach((fault, index) => {
    if (fault.kind !== 'confirm' && mapping.serviceOf(fault.consumer) === undefined)
      throw new CliExit(
        2,
        `--schedule: faults.${index}.consumer "${fault.consumer}": no routed service consumes from that queue ` +
          '(a queue maps to the service of that name, or to the manifest service listing it in `queues`)',
      );
  });
  const converted = planFromSchedule(schedule, { ...mapping, seed });
  for (const line of describeConversion(schedule, converted)) say(line);
  if (converted.plan.faults.length === 0)
    throw new CliExit(2, '--schedule: none of its faults can be caused from the wire; nothing to replay');
  return converted.plan;
}

function brokerRerunCommand(
  options: FuzzCommandOptions,
  seed: number,
  cuts: number,
  schedule: Schedule | undefined,
): string {
  const parts = ['troupe fuzz --mode broker', `--seed ${seed}`];
  if (options.config) parts.push(`--config ${options.config}`);
  if (options.target) parts.push(`--target ${options.target}`);
  if (options.proxy === false) parts.push('--no-proxy');
  for (const bug of options.bug) parts.push(`--bug ${bug}`);
  if (options.runs !== undefined) parts.push(`--runs ${options.runs}`);
  if (schedule !== undefined) parts.push(`--schedule '${JSON.stringify(schedule)}'`);
  else parts.push(`--duplicate-rate ${options.duplicateRate}`);
  parts.push(`--cuts ${cuts}`);
  if (options.restartBroker) parts.push('--restart-broker');
  if (options.flowsPerSecond !== undefined) parts.push(`--flows-per-second ${options.flowsPerSecond}`);
  return parts.join(' ');
}

/** What `--mode broker` runs on: `--target FILE`, else the manifest (`--config` / cwd), else the reference shop. */
async function brokerTarget(
  options: FuzzCommandOptions,
  seed: number,
): Promise<{
  target: Target | BrokerTarget;
  firstLine: string;
  router?: ProxyRouter;
  /** How a simulated schedule's queues and exchanges map onto the routed services (`--schedule`). */
  mapping?: Omit<ScheduleMapping, 'seed' | 'stepMs'>;
}> {
  if (options.target) {
    if (options.config)
      throw new CliExit(2, '--target and --config are two ways to name the target: pass one');
    const target = await loadTarget<Target | BrokerTarget>(options.target, 'broker');
    return { target, firstLine: `troupe: target: ${target.name} (from --target ${options.target})` };
  }
  const choice = await resolveTarget(options.config !== undefined ? { config: options.config } : {});
  if (choice.kind === 'reference') {
    const { shopBrokerTarget } = await import('../../../reference-services/target/shop-broker-target');
    const target = shopBrokerTarget({ bugs: await bugs(options.bug) });
    if (options.proxy === false) return { target, firstLine: choice.firstLine };
    // Each shop service and the outbox relay on a listener of its own: message faults on real deliveries.
    const { serviceNames } = await import('../../../reference-services/services');
    const { DEFAULT_AMQP_URL } = await import('../../transport/amqp/amqp-transport');
    const router = await startProxyRouter({
      upstream: process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL,
      services: [...serviceNames, 'relay'],
      adapter: target.adapter,
      seed,
    });
    // The simulated shop names its queues after the services and its exchange `shop`; live the names are
    // namespaced, each service consumes one queue through a listener of its own and only the relay publishes
    // (to the shop's exchange): no queue or exchange match, the ordinals count per listener.
    const mapping = {
      serviceOf: (queue: string) => serviceNames.find((name) => name === queue),
      queueOf: () => undefined,
      publisherOf: (exchange: string) => (exchange === 'shop' ? 'relay' : undefined),
      exchangeOf: () => undefined,
    };
    return {
      target,
      firstLine: `${choice.firstLine}; services routed through the chaos proxy`,
      router,
      mapping,
    };
  }
  if (options.bug.length > 0) {
    throw new CliExit(2, `--bug switches on known bugs of the reference shop, not of ${choice.target.name}`);
  }
  // By default every managed service gets its own listener of the chaos proxy: cuts then work for any client on
  // any broker the proxy reaches.
  if (options.proxy === false) return { target: choice.target, firstLine: choice.firstLine };
  const managed = Object.entries(choice.loaded.config.services).filter(
    ([, service]) => !('external' in service),
  );
  const router = await startProxyRouter({
    upstream: manifestBrokerUrl(choice.loaded.config),
    services: managed.map(([name]) => name),
    adapter: choice.target.adapter,
    seed,
  });
  // A simulated queue is the manifest's queue of that name (matched live), else a service of that name.
  const listedBy = (queue: string): string | undefined =>
    managed.find(([, service]) => (service.queues ?? []).includes(queue))?.[0];
  const mapping = {
    serviceOf: (queue: string) => listedBy(queue) ?? managed.find(([name]) => name === queue)?.[0],
    queueOf: (queue: string) => (listedBy(queue) !== undefined ? queue : undefined),
  };
  return {
    target: choice.target,
    firstLine: `${choice.firstLine}; services routed through the chaos proxy`,
    router,
    mapping,
  };
}

async function bugs(names: readonly string[]): Promise<KnownBug[]> {
  const { parseKnownBug } = await import('../../../reference-services/kit/bugs');
  try {
    return names.map(parseKnownBug);
  } catch (error) {
    throw new CliExit(2, error instanceof Error ? error.message : String(error));
  }
}

/** Loads a user module's `target` (or default) export and checks its shape, naming what is missing. */
async function loadTarget<T>(file: string, mode: 'sim' | 'broker'): Promise<T> {
  let module: Record<string, unknown>;
  try {
    // From source a plain import; built (npx troupe), through tsx's API, so a TypeScript target still loads.
    module = await importUserModule(file);
  } catch (error) {
    throw new CliExit(
      2,
      `--target ${file}: cannot load: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  const target = module['target'] ?? module['default'];
  const required =
    mode === 'sim'
      ? ['name', 'workload', 'consumers', 'adapter', 'invariants', 'flows', 'start']
      : typeof target === 'object' && target !== null && 'flows' in target
        ? ['name', 'adapter', 'flows', 'start'] // the Target port
        : ['name', 'adapter', 'terminalTypes', 'invariants', 'start'];
  const missing =
    typeof target === 'object' && target !== null ? required.filter((key) => !(key in target)) : required;
  if (missing.length > 0) {
    throw new CliExit(
      2,
      `--target ${file}: export \`target\` (or default) must be a ${mode === 'sim' ? 'SimTarget' : 'BrokerTarget'}; missing: ${missing.join(', ')}`,
    );
  }
  return target as T;
}

function replayCommand(options: FuzzCommandOptions, token: string): string {
  const parts = ['troupe fuzz'];
  if (options.target) parts.push(`--target ${options.target}`);
  for (const bug of options.bug) parts.push(`--bug ${bug}`);
  if (!options.target && options.maxOrders !== '4') parts.push(`--max-orders ${options.maxOrders}`);
  if (options.schedules !== '4') parts.push(`--schedules ${options.schedules}`);
  parts.push(`--replay '${token}'`);
  return parts.join(' ');
}

function parseToken(token: string): { seed: number; path: string } {
  try {
    return parseReplayToken(token);
  } catch (error) {
    throw new CliExit(2, error instanceof Error ? error.message : String(error));
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function integer(flag: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new CliExit(2, `${flag} must be an integer, got "${value}"`);
  return parsed;
}

function positive(flag: string, value: string): number {
  const parsed = integer(flag, value);
  if (parsed < 1) throw new CliExit(2, `${flag} must be a positive integer, got "${value}"`);
  return parsed;
}
