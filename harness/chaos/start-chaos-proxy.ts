import { createServer, connect, type Server, type Socket } from 'node:net';
import type { EnvelopeAdapter } from '../events/envelope-adapter';
import { findPortHolder } from './_internals/port-holder';
import { ChaosError } from './chaos-error';
import { FaultLog, type FaultLogEntry } from './fault-log';
import {
  describeChaosFault,
  parseChaosFault,
  parseChaosPlan,
  type ChaosFault,
  type ChaosPlan,
  type CutHow,
} from './plan/chaos-fault';
import { FaultEngine, type CutDecision } from './plan/fault-engine';
import { ConnectionSession, type ConnectionView } from './session/connection-session';

/** One listener: the service whose connections it takes, and its port (0 or absent: any free port). */
export interface ChaosListener {
  readonly service: string;
  readonly port?: number;
}

/** Options of `startChaosProxy`. */
export interface ChaosProxyOptions {
  /** The broker, e.g. `amqp://guest:guest@127.0.0.1:5672` (plain AMQP; amqps is not supported). */
  readonly upstream: string;
  /** One listener per service, so the proxy knows whose traffic it sees. */
  readonly listeners: readonly ChaosListener[];
  /** Faults armed from the start (`afterMs` counts from the start). Its seed drives every `probability`. */
  readonly plan?: ChaosPlan;
  /** Reads event types from bodies, for `match.eventType`. */
  readonly adapter?: EnvelopeAdapter;
  /** Operational lines (malformed frames, cuts, refused connections). Default: none. */
  readonly log?: (line: string) => void;
  /** Called for every fault-log entry as it happens. */
  readonly onFault?: (entry: FaultLogEntry) => void;
  /** Interface to listen on (default 127.0.0.1). */
  readonly host?: string;
}

/** A running chaos proxy. */
export interface StartedChaosProxy {
  /** The seed of the plan's random choices. */
  readonly seed: number;
  /** The services it has listeners for. */
  readonly services: readonly string[];
  /** The upstream URL (credentials, vhost, query kept) pointed at the service's listener. */
  urlFor(service: string): string;
  portOf(service: string): number;
  /** Validates and applies (or arms) a fault; `pause`, `refuse` and an untriggered `cut` act at once. */
  apply(fault: ChaosFault): void;
  /** Cuts every current connection of the service now; returns how many were cut. */
  cut(service: string, how?: CutHow, options?: { readonly refuseMs?: number }): number;
  /** The proxied connections (all, or one service's), with what each consumes. */
  connections(service?: string): readonly ConnectionView[];
  /** Every applied fault, with its time, in order. */
  faultLog(): readonly FaultLogEntry[];
  /** Armed faults still waiting for their message. */
  pendingFaults(): readonly ChaosFault[];
  /** Closes the listeners and every proxied connection. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

interface Upstream {
  readonly host: string;
  readonly port: number;
  readonly url: URL;
}

function parseUpstream(upstream: string): Upstream {
  let url: URL;
  try {
    url = new URL(upstream);
  } catch (cause) {
    throw new ChaosError('invalid-upstream', `upstream "${upstream}" is not a URL`, { cause });
  }
  if (url.protocol !== 'amqp:') {
    throw new ChaosError(
      'invalid-upstream',
      `upstream "${url.protocol}//${url.host}": only plain amqp:// is supported (the proxy must read the frames)`,
    );
  }
  return { host: url.hostname || '127.0.0.1', port: url.port === '' ? 5672 : Number(url.port), url };
}

/**
 * Starts an AMQP 0-9-1 chaos proxy in front of `upstream`: one TCP listener per service. Transparent (byte for
 * byte) until a fault applies; faults withhold, delay, reorder and duplicate real deliveries, lose acks, delay or
 * nack confirms, drop publishes, cut connections and refuse reconnections — for any client in any language.
 *
 * ```ts
 * await using proxy = await startChaosProxy({ upstream: 'amqp://127.0.0.1', listeners: [{ service: 'inventory' }] });
 * const url = proxy.urlFor('inventory'); // give this to the service
 * proxy.apply({ kind: 'duplicate', service: 'inventory', match: { eventType: 'PaymentCompleted' }, nth: 1 });
 * ```
 */
export async function startChaosProxy(options: ChaosProxyOptions): Promise<StartedChaosProxy> {
  const upstream = parseUpstream(options.upstream);
  const plan = options.plan === undefined ? { faults: [] } : parseChaosPlan(options.plan);
  const host = options.host ?? '127.0.0.1';
  const info = options.log ?? ((): void => undefined);
  const seed = plan.seed ?? 0;
  const engine = new FaultEngine(seed);
  const startedAt = Date.now();
  const faultLog = new FaultLog(startedAt, options.onFault);
  const sessions = new Set<ConnectionSession>();
  const refusedUntil = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const servers = new Map<string, { server: Server; port: number }>();
  let nextConnection = 1;
  let stopped = false;

  const names = options.listeners.map((l) => l.service);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined)
    throw new ChaosError('invalid-fault', `listener for service "${duplicate}" given twice`);

  const knownService = (service: string): void => {
    if (!servers.has(service)) {
      throw new ChaosError(
        'unknown-service',
        `no listener for service "${service}" (listeners: ${names.join(', ')})`,
      );
    }
  };

  const cutSession = (
    session: ConnectionSession,
    how: CutHow,
    why: string,
    fault: ChaosFault['kind'],
  ): void => {
    faultLog.record({
      service: session.service,
      connection: session.id,
      kind: fault,
      detail: `connection cut (${how === 'reset' ? 'TCP reset' : 'connection.close 320'}) ${why}`,
    });
    info(`${session.service} connection ${session.id}: cut (${how}) ${why}`);
    session.cut(how);
  };

  const refuse = (service: string, ms: number): void => {
    refusedUntil.set(service, Math.max(refusedUntil.get(service) ?? 0, Date.now() + ms));
  };

  const onCut = (session: ConnectionSession, cut: CutDecision): void => {
    cutSession(session, cut.how, `by ${describeChaosFault(cut.fault)}`, cut.fault.kind);
    if (cut.refuseMs !== undefined) refuse(session.service, cut.refuseMs);
  };

  const cutService = (
    service: string,
    how: CutHow,
    why: string,
    kind: ChaosFault['kind'],
    refuseMs?: number,
  ): number => {
    const victims = [...sessions].filter((s) => s.service === service);
    if (refuseMs !== undefined) refuse(service, refuseMs);
    if (victims.length === 0) faultLog.record({ service, kind, detail: `no open connection to cut ${why}` });
    for (const session of victims) cutSession(session, how, why, kind);
    return victims.length;
  };

  const applyNow = (fault: ChaosFault): void => {
    switch (fault.kind) {
      case 'pause':
        engine.pause(fault.service, Date.now() + fault.ms);
        faultLog.record({
          service: fault.service,
          kind: 'pause',
          detail: `deliveries paused for ${fault.ms} ms`,
        });
        return;
      case 'refuse':
        refuse(fault.service, fault.ms);
        faultLog.record({
          service: fault.service,
          kind: 'refuse',
          detail: `new connections refused for ${fault.ms} ms`,
        });
        return;
      case 'cut':
        if (fault.on === undefined) {
          cutService(fault.service, fault.how, 'now', 'cut', fault.refuseMs);
          return;
        }
        engine.arm(fault);
        return;
      default:
        engine.arm(fault);
    }
  };

  const apply = (input: ChaosFault): void => {
    if (stopped) throw new ChaosError('stopped', 'the chaos proxy is stopped');
    const fault = parseChaosFault(input);
    knownService(fault.service);
    info(`fault: ${describeChaosFault(fault)}`);
    if (fault.afterMs === undefined || fault.afterMs === 0) {
      applyNow(fault);
      return;
    }
    const { afterMs: _after, ...rest } = fault;
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopped) applyNow(rest);
    }, fault.afterMs);
    timers.add(timer);
  };

  const onConnection = (service: string, client: Socket): void => {
    client.setNoDelay(true);
    const id = nextConnection++;
    const until = refusedUntil.get(service);
    if (stopped || (until !== undefined && Date.now() < until)) {
      if (!stopped) {
        faultLog.record({
          service,
          connection: id,
          kind: 'refuse',
          detail: `connection from ${client.remoteAddress}:${client.remotePort} refused (reset)`,
        });
      }
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    const socket = connect({ host: upstream.host, port: upstream.port });
    socket.setNoDelay(true);
    const session = new ConnectionSession(client, socket, {
      id,
      service,
      engine,
      faultLog,
      adapter: options.adapter,
      info,
      onCut,
      onClosed: (closed) => sessions.delete(closed),
    });
    sessions.add(session);
  };

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const timer of timers) clearTimeout(timer);
    for (const session of sessions) session.close();
    await Promise.all(
      [...servers.values()].map(
        ({ server }) => new Promise<void>((resolve) => server.close(() => resolve())),
      ),
    );
  };

  try {
    for (const listener of options.listeners) {
      const server = createServer((client) => onConnection(listener.service, client));
      const port = await new Promise<number>((resolve, reject) => {
        server.once('error', (error: NodeJS.ErrnoException) => {
          if (error.code === 'EADDRINUSE') {
            const holder = findPortHolder(listener.port ?? 0);
            reject(
              new ChaosError(
                'port-in-use',
                `chaos proxy: port ${listener.port} for service "${listener.service}" is in use${holder === undefined ? '' : ` (held by ${holder})`}`,
                { cause: error },
              ),
            );
          } else {
            reject(
              new ChaosError(
                'listen-failed',
                `chaos proxy: cannot listen on ${host}:${listener.port ?? 0} for "${listener.service}": ${error.message}`,
                { cause: error },
              ),
            );
          }
        });
        server.listen(listener.port ?? 0, host, () => {
          const address = server.address();
          resolve(typeof address === 'object' && address !== null ? address.port : 0);
        });
      });
      servers.set(listener.service, { server, port });
    }
    for (const fault of plan.faults) apply(fault);
  } catch (error) {
    await stop();
    throw error;
  }

  const portOf = (service: string): number => {
    knownService(service);
    return (servers.get(service) as { port: number }).port;
  };

  return {
    seed,
    services: names,
    portOf,
    urlFor: (service) => {
      const url = new URL(upstream.url.toString());
      url.hostname = host;
      url.port = String(portOf(service));
      return url.toString();
    },
    apply,
    cut: (service, how = 'reset', cutOptions) => {
      knownService(service);
      return cutService(service, how, 'on request', 'cut', cutOptions?.refuseMs);
    },
    connections: (service) =>
      [...sessions].filter((s) => service === undefined || s.service === service).map((s) => s.view()),
    faultLog: () => faultLog.all(),
    pendingFaults: () => engine.pending(),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
