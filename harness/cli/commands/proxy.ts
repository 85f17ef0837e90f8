import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { amqpPropertiesAdapter } from '../../events/amqp-properties-adapter';
import { cloudEventsAdapter } from '../../events/cloudevents-adapter';
import { troupeEnvelopeAdapter, type EnvelopeAdapter } from '../../events/envelope-adapter';
import { jsonPathsAdapter } from '../../events/json-paths-adapter';
import { startControlApi } from '../../chaos/control-api';
import { ChaosError } from '../../chaos/chaos-error';
import { renderFaultLog } from '../../chaos/fault-log';
import { randomChaosPlan } from '../../chaos/plan/chaos-plan-arbitrary';
import { describeConversion } from '../../chaos/plan/describe-conversion';
import { planFromSchedule } from '../../chaos/plan/plan-from-schedule';
import { readScheduleArgument } from '../../chaos/plan/read-schedule-argument';
import {
  describeChaosFault,
  formatChaosPlan,
  parseChaosPlan,
  type ChaosPlan,
} from '../../chaos/plan/chaos-fault';
import { startChaosProxy, type ChaosListener } from '../../chaos/start-chaos-proxy';
import { maskUrl } from '../../infra/mask-url';
import { CliExit } from '../cli-exit';

interface ProxyFlags {
  readonly upstream: string;
  readonly listen: string[];
  readonly plan?: string;
  readonly replay?: string;
  readonly seed?: string;
  readonly randomFaults?: string;
  readonly schedule?: string;
  readonly queue: string[];
  readonly publisher: string[];
  readonly stepMs: string;
  readonly control?: string;
  readonly duration?: string;
  readonly adapter: string;
  readonly businessKey: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function parseListen(specs: readonly string[]): ChaosListener[] {
  if (specs.length === 0)
    throw new CliExit(2, 'troupe proxy: at least one --listen <service>=<port> is required');
  return specs.map((spec) => {
    const match = /^([^=\s]+)=(\d+)$/.exec(spec);
    if (match === null)
      throw new CliExit(
        2,
        `--listen "${spec}": expected <service>=<port>, e.g. inventory=5673 (0: any free port)`,
      );
    const port = Number(match[2]);
    if (port > 65535) throw new CliExit(2, `--listen "${spec}": port ${port} is out of range`);
    return { service: match[1] as string, port };
  });
}

/** `--adapter`: how the proxy reads event types (for `match.eventType`) from bodies it did not write. */
function adapterOf(name: string, businessKey: string): EnvelopeAdapter | undefined {
  if (name === 'none') return undefined;
  if (name === 'troupe') return troupeEnvelopeAdapter(businessKey);
  if (name === 'cloudevents') return cloudEventsAdapter();
  if (name === 'amqp-properties') return amqpPropertiesAdapter();
  if (name.startsWith('json:') && name.length > 5) return jsonPathsAdapter({ type: name.slice(5) });
  throw new CliExit(
    2,
    `--adapter: expected troupe, cloudevents, amqp-properties, json:<path of the event type> or none, got "${name}"`,
  );
}

function nonNegative(flag: string, value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0)
    throw new CliExit(2, `${flag}: expected an integer ≥ 0, got "${value}"`);
  return number;
}

/** `--queue <queue>=<service>[:<live queue>]` and `--publisher <exchange>=<service>[:<live exchange>]`. */
function parseMapping(
  flag: '--queue' | '--publisher',
  specs: readonly string[],
  services: readonly string[],
): Map<string, { service: string; live?: string }> {
  const mapping = new Map<string, { service: string; live?: string }>();
  for (const spec of specs) {
    const match = /^([^=\s]+)=([^:=\s]+)(?::(\S+))?$/.exec(spec);
    if (match === null)
      throw new CliExit(
        2,
        flag === '--queue'
          ? `--queue "${spec}": expected <queue>=<service> or <queue>=<service>:<live queue>, e.g. payments=payments:shop.payments`
          : `--publisher "${spec}": expected <exchange>=<service> or <exchange>=<service>:<live exchange>, e.g. shop=relay`,
      );
    const [, name, service, live] = match as unknown as [string, string, string, string | undefined];
    if (!services.includes(service))
      throw new CliExit(
        2,
        `${flag} "${spec}": no --listen for service "${service}" (listeners: ${services.join(', ')})`,
      );
    mapping.set(name, { service, ...(live === undefined ? {} : { live }) });
  }
  return mapping;
}

/**
 * `--schedule`: a simulated counterexample converted to a plan. A queue goes to the listener of the same name
 * unless `--queue` maps it; deliveries are matched by queue only when `--queue` names the live one (a listener
 * sees only its service's deliveries, so its ordinals already count that service's).
 */
function planOfSchedule(
  flags: ProxyFlags,
  services: readonly string[],
): { plan: ChaosPlan; lines: string[] } {
  const schedule = readScheduleArgument(flags.schedule ?? '', '--schedule');
  const queues = parseMapping('--queue', flags.queue, services);
  const publishers = parseMapping('--publisher', flags.publisher, services);
  schedule.faults.forEach((fault, index) => {
    if (fault.kind === 'confirm' || queues.has(fault.consumer) || services.includes(fault.consumer)) return;
    throw new CliExit(
      2,
      `--schedule: faults.${index}.consumer "${fault.consumer}": no listener of that name (listeners: ${services.join(', ')}); ` +
        `add --listen ${fault.consumer}=<port> or map it with --queue ${fault.consumer}=<service>`,
    );
  });
  const stepMs = nonNegative('--step-ms', flags.stepMs);
  const converted = planFromSchedule(schedule, {
    serviceOf: (queue) => queues.get(queue)?.service ?? (services.includes(queue) ? queue : undefined),
    queueOf: (queue) => queues.get(queue)?.live,
    publisherOf: (exchange) => publishers.get(exchange)?.service,
    exchangeOf: (exchange) => publishers.get(exchange)?.live,
    stepMs,
    ...(flags.seed === undefined ? {} : { seed: nonNegative('--seed', flags.seed) }),
  });
  const lines = describeConversion(schedule, converted).map((line) =>
    line.replace(/(no publisher known for exchange (\S+))/g, '$1 (map it with --publisher $2=<service>)'),
  );
  return { plan: converted.plan, lines };
}

function loadPlan(flags: ProxyFlags, services: readonly string[]): { plan: ChaosPlan; lines?: string[] } {
  const sources = [flags.plan, flags.replay, flags.randomFaults, flags.schedule].filter(
    (s) => s !== undefined,
  );
  if (sources.length > 1)
    throw new CliExit(2, 'troupe proxy: give one of --plan, --replay, --random-faults, --schedule');
  if (flags.schedule === undefined && (flags.queue.length > 0 || flags.publisher.length > 0))
    throw new CliExit(2, 'troupe proxy: --queue and --publisher map the faults of a --schedule; give one');
  try {
    if (flags.schedule !== undefined) return planOfSchedule(flags, services);
    if (flags.plan !== undefined) {
      let text: string;
      try {
        text = readFileSync(flags.plan, 'utf8');
      } catch (cause) {
        throw new CliExit(2, `--plan ${flags.plan}: cannot read the file (${(cause as Error).message})`, {
          cause,
        });
      }
      return {
        plan: parseChaosPlan(/\.ya?ml$/i.test(flags.plan) ? parseYaml(text) : JSON.parse(text), flags.plan),
      };
    }
    if (flags.replay !== undefined) return { plan: parseChaosPlan(JSON.parse(flags.replay), '--replay') };
    if (flags.randomFaults !== undefined) {
      const seed = flags.seed === undefined ? Date.now() % 2 ** 31 : nonNegative('--seed', flags.seed);
      return {
        plan: randomChaosPlan(seed, {
          services,
          maxFaults: nonNegative('--random-faults', flags.randomFaults),
        }),
      };
    }
  } catch (error) {
    if (error instanceof ChaosError || error instanceof SyntaxError)
      throw new CliExit(2, error.message, { cause: error });
    throw error;
  }
  return {
    plan: flags.seed === undefined ? { faults: [] } : { seed: nonNegative('--seed', flags.seed), faults: [] },
  };
}

/**
 * Registers `troupe proxy`: the AMQP 0-9-1 chaos proxy in front of services started elsewhere (compose, another
 * terminal, another language). Faults come from a plan file, a replay token, a seed, or the control API.
 */
export function registerProxyCommand(program: Command): void {
  program
    .command('proxy')
    .description('Run the AMQP chaos proxy: one listener per service, faults from a plan or the control API')
    .requiredOption('--upstream <url>', 'the broker, e.g. amqp://guest:guest@127.0.0.1:5672')
    .option(
      '--listen <service=port>',
      'a listener for one service (repeatable; port 0: any free port)',
      collect,
      [],
    )
    .option('--plan <file>', 'a chaos plan (JSON or YAML: { seed?, faults: [...] })')
    .option('--replay <json>', 'replay a plan printed by an earlier run')
    .option(
      '--schedule <file|json>',
      'replay a simulated counterexample: a schedule (troupe fuzz --json: failure.schedule, or the whole report)',
    )
    .option(
      '--queue <queue=service[:live]>',
      '--schedule: faults on this simulated queue go to this listener (default: the listener of the same name); ' +
        ':<live queue> also matches deliveries by that queue (repeatable)',
      collect,
      [],
    )
    .option(
      '--publisher <exchange=service[:live]>',
      '--schedule: confirm faults on this simulated exchange go to this listener; :<live exchange> also matches ' +
        'publishes by that exchange (repeatable)',
      collect,
      [],
    )
    .option('--step-ms <ms>', '--schedule: milliseconds per simulated delay step', '100')
    .option('--random-faults <n>', 'a random plan of up to n faults, from --seed')
    .option('--seed <n>', 'seed of the plan’s random choices')
    .option('--control <port>', 'serve the control API on 127.0.0.1:<port> (0: any free port)')
    .option('--duration <seconds>', 'stop after this long (default: until Ctrl-C)')
    .option(
      '--adapter <name>',
      'how to read event types (match.eventType): troupe | cloudevents | amqp-properties | json:<path> | none',
      'troupe',
    )
    .option('--business-key <field>', 'payload field holding the business key (troupe adapter)', 'orderId')
    .action(async (flags: ProxyFlags) => {
      const listeners = parseListen(flags.listen);
      const { plan, lines: conversion } = loadPlan(
        flags,
        listeners.map((l) => l.service),
      );
      const adapter = adapterOf(flags.adapter, flags.businessKey);
      const durationMs =
        flags.duration === undefined ? undefined : nonNegative('--duration', flags.duration) * 1000;
      const controlPort = flags.control === undefined ? undefined : nonNegative('--control', flags.control);
      let proxy;
      try {
        proxy = await startChaosProxy({
          upstream: flags.upstream,
          listeners,
          plan,
          ...(adapter === undefined ? {} : { adapter }),
          log: (line) => console.error(`[proxy] ${line}`),
          onFault: (entry) =>
            console.log(
              `[fault] +${entry.atMs} ms ${entry.service}${entry.connection === undefined ? '' : ` (conn ${entry.connection})`} ${entry.kind}: ${entry.detail}`,
            ),
        });
      } catch (error) {
        if (error instanceof ChaosError) throw new CliExit(2, error.message, { cause: error });
        throw error;
      }
      const control =
        controlPort === undefined ? undefined : await startControlApi(proxy, { port: controlPort });
      console.log(`troupe proxy → ${maskUrl(flags.upstream)}, seed ${proxy.seed}`);
      for (const service of proxy.services)
        console.log(`  ${service.padEnd(16)} ${maskUrl(proxy.urlFor(service))}`);
      if (control !== undefined)
        console.log(
          `  control API      ${control.url} (GET /connections, GET /faults, POST /faults, POST /cut)`,
        );
      console.log(
        conversion !== undefined
          ? conversion.join('\n')
          : plan.faults.length === 0
            ? 'plan: no faults'
            : `plan:\n${plan.faults.map((f) => `  - ${describeChaosFault(f)}`).join('\n')}`,
      );
      const listen = listeners.map((l) => `--listen ${l.service}=${l.port ?? 0}`).join(' ');
      console.log(
        `replay: troupe proxy --upstream ${maskUrl(flags.upstream)} ${listen} --replay '${formatChaosPlan({ ...plan, seed: proxy.seed })}'`,
      );

      await new Promise<void>((resolve) => {
        const done = (): void => {
          process.off('SIGINT', done);
          process.off('SIGTERM', done);
          if (timer !== undefined) clearTimeout(timer);
          resolve();
        };
        const timer = durationMs === undefined ? undefined : setTimeout(done, durationMs);
        process.on('SIGINT', done);
        process.on('SIGTERM', done);
      });
      const log = proxy.faultLog();
      await control?.stop();
      await proxy.stop();
      console.log(
        `\nfault log (${log.length} entr${log.length === 1 ? 'y' : 'ies'}):\n${renderFaultLog(log)}`,
      );
    });
}
