import { spawn } from 'node:child_process';
import path from 'node:path';
import type { LoadedConfig } from '../config/load-config';
import {
  durationMs,
  type FlowConfig,
  type ProcessServiceConfig,
  type ResolvedTroupeConfig,
  type ServiceConfig,
} from '../config/config-schema';
import { markInjected } from '../observe/injected-message';
import { AmqpTransport, DEFAULT_AMQP_URL } from '../transport/amqp/amqp-transport';
import { AmqpTransportError } from '../transport/amqp/amqp-transport-error';
import { connectionName } from '../transport/amqp/connection-name';
import { checkExchanges } from '../transport/amqp/exchange-check';
import type { OutgoingMessage, Transport } from '../transport/transport';
import { adapterFromConfig } from './adapter-from-config';
import { cutProcessConnections } from './cut-process-connections';
import { logPattern, type ReadinessProbe } from './readiness';
import { renderTemplate, templateUses } from './render-template';
import { ServiceProcess } from './service-process';
import type {
  InjectedReason,
  ServiceExit,
  StartedFlow,
  StartedTarget,
  Target,
  TargetContext,
  TargetExchange,
  TargetFlow,
  TargetService,
} from './target';
import { TargetError } from './target-error';

const DEFAULT_READY_TIMEOUT_MS = 30_000;
const DEFAULT_GRACE_MS = 5_000;
const FLOW_START_TIMEOUT_MS = 30_000;

/**
 * The Target a manifest describes: services run as child processes (or `external`), exchanges checked
 * passively, the manifest's adapter and flows. `start` starts the services in manifest order and waits for each
 * to be ready; if one fails, those already started are stopped and the error names the service, its exit code or
 * probe, and its last lines.
 */
export function targetFromConfig(loaded: LoadedConfig): Target {
  const { config, dir } = loaded;
  const flows: TargetFlow[] = Object.entries(config.flows).map(([name, flow]) => ({
    name,
    keyPath: flow.key,
    terminalTypes: flow.terminal,
    ...(flow.atMostOnce ? { atMostOnce: flow.atMostOnce } : {}),
    invariants: flow.invariants ?? [],
  }));
  const firstKey = flows[0]?.keyPath;
  const adapter = adapterFromConfig(config.adapter, firstKey);
  const target: Target = {
    name: `${config.name ?? path.basename(dir)} (${path.relative(process.cwd(), loaded.file) || loaded.file})`,
    adapter,
    serviceNames: Object.keys(config.services),
    flows,
    start: (context) => startConfigTarget(target, loaded, context),
  };
  return target;
}

async function startConfigTarget(
  target: Target,
  loaded: LoadedConfig,
  context: TargetContext,
): Promise<StartedTarget> {
  const { config, dir } = loaded;
  const brokerUrl = manifestBrokerUrl(config, context.brokerUrl);
  const vhost = config.broker.vhost ?? vhostOf(brokerUrl);
  const say = context.log ?? (() => undefined);
  let failure: ServiceExit | undefined;
  const services: TargetService[] = [];
  const managed: ServiceProcess[] = [];
  const transports: Transport[] = [];
  let publisher: AmqpTransport | undefined;

  for (const [name, service] of Object.entries(config.services)) {
    if (isExternal(service)) {
      services.push(externalService(name, service.queues ?? [], context));
      continue;
    }
    const process_: ServiceProcess = new ServiceProcess(processSpec(name, service, dir), {
      brokerUrl: () => (context.router ? context.router.urlFor(name, brokerUrl) : Promise.resolve(brokerUrl)),
      onUnexpectedExit: (exit) => {
        failure ??= exit;
        say(
          `service ${name} exited (${exit.signal ?? `code ${exit.code ?? '?'}`}) although nobody stopped it`,
        );
        context.onServiceExit?.(exit);
      },
      cut: () =>
        context.router
          ? context.router.cut(name)
          : cutProcessConnections(process_, { vhost }).then((n) => `cut ${n} connection(s) of ${name}`),
      log: say,
      ...(context.signal ? { signal: context.signal } : {}),
    });
    services.push(process_);
    managed.push(process_);
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // Reverse order: downstream services go first, so nothing consumes half a shutdown.
      await Promise.allSettled([...managed].reverse().map((service) => service.stop()));
      await Promise.allSettled([...transports, ...(publisher ? [publisher] : [])].map((t) => t.close()));
    })());

  let exchanges: TargetExchange[];
  try {
    for (const service of managed) {
      say(`starting service ${service.name}`);
      await service.start();
    }
    // After the services: they declare their exchanges as they like; Troupe declares only what is still missing.
    const checked = await checkExchanges(brokerUrl, config.broker.exchanges, { vhost, declareMissing: true });
    exchanges = checked.map((exchange) => {
      const declared = config.broker.exchanges.find((e) => e.name === exchange.name);
      return {
        name: exchange.name,
        type: exchange.type,
        ...(declared?.routingKeys ? { routingKeys: declared.routingKeys } : {}),
      };
    });
  } catch (error) {
    await stop();
    if (error instanceof TargetError) throw error;
    if (error instanceof AmqpTransportError && error.code === 'exchange-mismatch') {
      throw new TargetError('exchange-mismatch', error.message, { cause: error });
    }
    throw new TargetError('broker-check-failed', `target ${target.name}: ${describe(error)}`, {
      cause: error,
    });
  }

  const getPublisher = async (): Promise<AmqpTransport> => {
    if (!publisher) {
      publisher = new AmqpTransport({
        url: brokerUrl,
        connectionName: connectionName('target-publish'),
        onError: () => undefined,
      });
      await publisher.connected();
    }
    return publisher;
  };
  const publish = async (
    exchange: string,
    message: OutgoingMessage,
    reason: InjectedReason = 'test',
  ): Promise<void> => {
    const transport = await getPublisher();
    await transport.publish(exchange, { ...message, headers: markInjected(message.headers, reason) });
  };
  const defaultExchange = config.broker.exchanges[0]?.name ?? '';

  const started: StartedTarget = {
    target,
    brokerUrl,
    vhost,
    exchanges,
    directQueues: config.broker.directQueues ?? [],
    adapter: target.adapter,
    services,
    service(name) {
      const found = services.find((service) => service.name === name);
      if (!found) {
        throw new TargetError(
          'unknown-service',
          `unknown service "${name}" (known: ${services.map((s) => s.name).join(', ') || 'none'})`,
        );
      }
      return found;
    },
    openTransport(purpose) {
      const transport = new AmqpTransport({
        url: brokerUrl,
        connectionName: connectionName(purpose),
        onError: () => undefined,
        acquireTimeoutMs: 60_000,
      });
      transports.push(transport);
      return transport;
    },
    async startFlow(index, flowName) {
      const [name, flow] = pickFlow(config.flows, flowName);
      return startFlow(name, flow, index, { dir, publish, defaultExchange });
    },
    publish,
    failure: () => failure,
    stop,
    [Symbol.asyncDispose]: stop,
  };
  return started;
}

function pickFlow(
  flows: Readonly<Record<string, FlowConfig>>,
  name: string | undefined,
): [string, FlowConfig] {
  const entries = Object.entries(flows);
  const found = name === undefined ? entries[0] : entries.find(([flowName]) => flowName === name);
  if (!found) {
    throw new TargetError(
      'unknown-flow',
      name === undefined
        ? 'the manifest has no flows: add one under `flows` to start flows'
        : `unknown flow "${name}" (known: ${entries.map(([n]) => n).join(', ') || 'none'})`,
    );
  }
  return found;
}

async function startFlow(
  name: string,
  flow: FlowConfig,
  index: number,
  env: {
    readonly dir: string;
    readonly defaultExchange: string;
    readonly publish: (exchange: string, message: OutgoingMessage, reason: InjectedReason) => Promise<void>;
  },
): Promise<StartedFlow> {
  const draft = {
    key: '',
    index,
    name,
    correlationId: String(renderTemplate('{{uuid}}', blank(index, name))),
  };
  const key = String(renderTemplate(flow.keyValue ?? '{{uuid}}', { flow: draft }));
  const values = { flow: { ...draft, key } };
  // The adapter reads the key as correlation unless the start message carries a correlation id of its own.
  const correlationId = templateUses(flow.start, 'flow.correlationId') ? draft.correlationId : key;
  try {
    if ('publish' in flow.start) {
      const spec = flow.start.publish;
      const body = renderTemplate(spec.body, values);
      const properties = spec.properties
        ? (renderTemplate(spec.properties, values) as Record<string, string>)
        : {};
      const headers = spec.headers
        ? (renderTemplate(spec.headers, values) as Record<string, unknown>)
        : undefined;
      const json = typeof body !== 'string';
      await env.publish(
        spec.exchange ?? env.defaultExchange,
        {
          routingKey: String(renderTemplate(spec.routingKey, values)),
          body: Buffer.from(json ? JSON.stringify(body) : body, 'utf8'),
          ...(headers ? { headers } : {}),
          ...(properties['messageId'] !== undefined ? { messageId: properties['messageId'] } : {}),
          ...(properties['correlationId'] !== undefined
            ? { correlationId: properties['correlationId'] }
            : {}),
          ...(properties['type'] !== undefined ? { type: properties['type'] } : {}),
          contentType: properties['contentType'] ?? (json ? 'application/json' : 'text/plain'),
        },
        'flow-start',
      );
    } else if ('http' in flow.start) {
      const spec = flow.start.http;
      const body = spec.body === undefined ? undefined : renderTemplate(spec.body, values);
      const response = await fetch(String(renderTemplate(spec.url, values)), {
        method: spec.method,
        headers: {
          ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
          ...spec.headers,
        },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(FLOW_START_TIMEOUT_MS),
      });
      const text = await response.text();
      if (!response.ok)
        throw new Error(`${spec.method} ${spec.url} answered ${response.status}: ${text.slice(0, 200)}`);
    } else {
      const spec = flow.start.run;
      await runCommand(
        spec.command,
        (spec.args ?? []).map((arg) => String(renderTemplate(arg, values))),
        path.resolve(env.dir, spec.cwd ?? '.'),
        Object.fromEntries(
          Object.entries(spec.env ?? {}).map(([k, v]) => [k, String(renderTemplate(v, values))]),
        ),
      );
    }
  } catch (error) {
    throw new TargetError(
      'flow-start-failed',
      `flow ${name} #${index}: could not start: ${describe(error)}`,
      {
        cause: error,
      },
    );
  }
  return { flow: name, key, correlationId };
}

function blank(
  index: number,
  name: string,
): { flow: { key: string; index: number; name: string; correlationId: string } } {
  return { flow: { key: '', index, name, correlationId: '' } };
}

function runCommand(
  command: string,
  args: readonly string[],
  cwd: string,
  env: Record<string, string>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-2_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), FLOW_START_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `\`${[command, ...args].join(' ')}\` ended with ${signal ?? `exit code ${code}`}: ${output.trim().split('\n').slice(-5).join(' | ')}`,
          ),
        );
    });
  });
}

function isExternal(service: ServiceConfig): service is Extract<ServiceConfig, { external: true }> {
  return 'external' in service;
}

function processSpec(name: string, service: ProcessServiceConfig, dir: string) {
  const ready = service.ready;
  return {
    name,
    command: service.command,
    args: service.args ?? [],
    cwd: path.resolve(dir, service.cwd ?? '.'),
    env: service.env ?? {},
    brokerUrlEnv: service.brokerUrlEnv ?? 'AMQP_URL',
    queues: service.queues ?? [],
    ...(ready ? { ready: (url: string) => probeOf(ready, url) } : {}),
    readyTimeoutMs: ready?.timeout !== undefined ? durationMs(ready.timeout) : DEFAULT_READY_TIMEOUT_MS,
    stopSignal: service.stop?.signal ?? 'SIGTERM',
    graceMs: service.stop?.grace !== undefined ? durationMs(service.stop.grace) : DEFAULT_GRACE_MS,
  };
}

function probeOf(ready: NonNullable<ProcessServiceConfig['ready']>, brokerUrl: string): ReadinessProbe {
  if ('queue' in ready) return { kind: 'queue', queue: ready.queue, brokerUrl };
  if ('log' in ready) return { kind: 'log', pattern: logPattern(ready.log) };
  if ('tcp' in ready) {
    return typeof ready.tcp === 'number'
      ? { kind: 'tcp', host: '127.0.0.1', port: ready.tcp }
      : { kind: 'tcp', host: ready.tcp.host, port: ready.tcp.port };
  }
  return { kind: 'http', url: ready.http };
}

/** A service Troupe does not run: lifecycle calls refuse, naming it; cuts go through the router if any. */
function externalService(name: string, queues: readonly string[], context: TargetContext): TargetService {
  const refuse = (what: string) => (): Promise<never> =>
    Promise.reject(
      new TargetError(
        'not-managed',
        `service ${name} is external (external: true): Troupe cannot ${what} it`,
        {
          service: name,
        },
      ),
    );
  return {
    name,
    external: true,
    queues,
    running: true,
    brokerUrl: undefined,
    start: () => Promise.resolve(),
    stop: refuse('stop'),
    kill: refuse('kill'),
    restart: refuse('restart'),
    cut: () =>
      context.router
        ? context.router.cut(name)
        : Promise.reject(
            new TargetError(
              'unsupported',
              `service ${name} is external: cutting its connection needs the chaos proxy`,
              {
                service: name,
              },
            ),
          ),
    output: () => [],
    tail: () => [],
  };
}

/**
 * The broker URL a manifest means: `override` (a runner's), else `broker.url`, else `AMQP_URL`, else the local
 * default — with `broker.vhost` added when the URL names none.
 */
export function manifestBrokerUrl(config: Pick<ResolvedTroupeConfig, 'broker'>, override?: string): string {
  return withVhost(
    override ?? config.broker.url ?? process.env['AMQP_URL'] ?? DEFAULT_AMQP_URL,
    config.broker.vhost,
  );
}

/** Adds the manifest's vhost to a URL without one. */
function withVhost(url: string, vhost: string | undefined): string {
  if (vhost === undefined || vhost === '/') return url;
  const parsed = new URL(url);
  if (parsed.pathname && parsed.pathname !== '/') return url;
  parsed.pathname = `/${encodeURIComponent(vhost)}`;
  return parsed.toString();
}

function vhostOf(url: string): string {
  try {
    const pathname = new URL(url).pathname;
    return pathname && pathname !== '/' ? decodeURIComponent(pathname.slice(1)) : '/';
  } catch {
    return '/';
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
