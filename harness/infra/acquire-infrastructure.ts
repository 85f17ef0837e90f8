import { AmqpTransport } from '../transport/amqp/amqp-transport';
import type { AmqpTransportOptions } from '../transport/amqp/amqp-transport';
import { InMemoryTransport } from '../transport/memory/in-memory-transport';
import type { Transport } from '../transport/transport';
import { chooseInfrastructure } from './infrastructure-choice';
import type { InfrastructureChoice, InfrastructureProbes, ServerSource } from './infrastructure-choice';
import { InfraError } from './infra-error';
import { maskUrl } from './mask-url';
import { defaultProbes } from './probes';
import { importOptional, OptionalDependencyError } from '../_internals/optional-dependency';

/** A server Testcontainers started: its URL and how to stop it. */
export interface StartedServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts containers; injectable because this machine (and many CI runners) has no Docker. */
export interface ContainerStarters {
  rabbitmq(): Promise<StartedServer>;
  postgres(): Promise<StartedServer>;
}

/** Images used by the default Testcontainers starters (the versions the project is tested with). */
export const CONTAINER_IMAGES = { rabbitmq: 'rabbitmq:3.10-management', postgres: 'postgres:15' } as const;

/** Testcontainers starters, loaded lazily so the heavy module is only required when Docker is actually used. */
export const testcontainersStarters: ContainerStarters = {
  async rabbitmq() {
    const { RabbitMQContainer } = await importOptional(
      '@testcontainers/rabbitmq',
      'starting RabbitMQ in Docker',
      () => import('@testcontainers/rabbitmq'),
    );
    const container = await new RabbitMQContainer(CONTAINER_IMAGES.rabbitmq).start();
    return { url: container.getAmqpUrl(), stop: async () => void (await container.stop()) };
  },
  async postgres() {
    const { PostgreSqlContainer } = await importOptional(
      '@testcontainers/postgresql',
      'starting PostgreSQL in Docker',
      () => import('@testcontainers/postgresql'),
    );
    const container = await new PostgreSqlContainer(CONTAINER_IMAGES.postgres).start();
    return { url: container.getConnectionUri(), stop: async () => void (await container.stop()) };
  },
};

/** The broker in use. */
export type AcquiredBroker =
  | { readonly kind: 'rabbitmq'; readonly source: ServerSource; readonly url: string }
  | { readonly kind: 'memory'; readonly reason: string };

/** The database in use. */
export type AcquiredDatabase =
  | { readonly kind: 'postgres'; readonly source: ServerSource; readonly url: string }
  | { readonly kind: 'pglite'; readonly reason: string };

/** A broker and a database ready to use. Dispose it (`await using`) to stop whatever was started for it. */
export interface StartedInfrastructure extends AsyncDisposable {
  readonly choice: InfrastructureChoice;
  readonly broker: AcquiredBroker;
  readonly database: AcquiredDatabase;
  /** The AMQP URL, or undefined when the broker is the in-memory transport. */
  readonly amqpUrl: string | undefined;
  /** The PostgreSQL URL, or undefined when the database is embedded PGlite. */
  readonly databaseUrl: string | undefined;
  /** One line for logs, credentials masked. */
  describe(): string;
  /** A new Transport on the chosen broker (AmqpTransport or InMemoryTransport). The caller closes it. */
  createTransport(options?: Omit<AmqpTransportOptions, 'url'>): Transport;
  /** Stops containers this acquisition started (nothing for env/local/embedded). Idempotent. */
  stop(): Promise<void>;
}

/** Options of `acquireInfrastructure`: what to probe and how to start containers (both injectable for tests). */
export interface AcquireOptions {
  /** Default: the real probes over `process.env`. */
  readonly probes?: InfrastructureProbes;
  /** Default: Testcontainers. */
  readonly containers?: ContainerStarters;
}

const SOURCE_TEXT: Record<ServerSource, string> = {
  env: 'from environment',
  local: 'local default',
  testcontainers: 'Testcontainers',
};

/** One line describing the broker and database in use, credentials masked. */
export function describeInfrastructure(broker: AcquiredBroker, database: AcquiredDatabase): string {
  const b =
    broker.kind === 'rabbitmq'
      ? `RabbitMQ at ${maskUrl(broker.url)} (${SOURCE_TEXT[broker.source]})`
      : `in-memory transport (${broker.reason})`;
  const d =
    database.kind === 'postgres'
      ? `PostgreSQL at ${maskUrl(database.url)} (${SOURCE_TEXT[database.source]})`
      : `embedded PGlite (${database.reason})`;
  return `broker: ${b}; database: ${d}`;
}

async function start(what: string, starter: () => Promise<StartedServer>): Promise<StartedServer> {
  try {
    return await starter();
  } catch (cause) {
    // "install @testcontainers/…" is the message worth showing, not a generic start failure.
    if (cause instanceof OptionalDependencyError) throw cause;
    throw new InfraError('container-start-failed', `Testcontainers could not start ${what}`, { cause });
  }
}

/**
 * Chooses (see `chooseInfrastructure`) and acquires a broker and a database, starting Testcontainers containers
 * when that is the choice. If the second container fails, the first is stopped before the error is thrown.
 */
export async function acquireInfrastructure(options: AcquireOptions = {}): Promise<StartedInfrastructure> {
  const choice = await chooseInfrastructure(options.probes ?? defaultProbes());
  const containers = options.containers ?? testcontainersStarters;
  const started: StartedServer[] = [];
  const stopAll = async (): Promise<void> => {
    const stopping = started.splice(0).reverse();
    const results = await Promise.allSettled(stopping.map((s) => s.stop()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed)
      throw new InfraError('stop-failed', 'stopping a Testcontainers container failed', {
        cause: failed.reason,
      });
  };

  let broker: AcquiredBroker;
  let database: AcquiredDatabase;
  try {
    if (choice.broker.kind === 'memory') broker = choice.broker;
    else if (choice.broker.source !== 'testcontainers') broker = choice.broker;
    else {
      const server = await start('RabbitMQ', () => containers.rabbitmq());
      started.push(server);
      broker = { kind: 'rabbitmq', source: 'testcontainers', url: server.url };
    }
    if (choice.database.kind === 'pglite') database = choice.database;
    else if (choice.database.source !== 'testcontainers') database = choice.database;
    else {
      const server = await start('PostgreSQL', () => containers.postgres());
      started.push(server);
      database = { kind: 'postgres', source: 'testcontainers', url: server.url };
    }
  } catch (error) {
    await stopAll().catch(() => undefined); // the start error is the one worth reporting
    throw error;
  }

  const amqpUrl = broker.kind === 'rabbitmq' ? broker.url : undefined;
  return {
    choice,
    broker,
    database,
    amqpUrl,
    databaseUrl: database.kind === 'postgres' ? database.url : undefined,
    describe: () => describeInfrastructure(broker, database),
    createTransport: (transportOptions = {}) =>
      amqpUrl === undefined
        ? new InMemoryTransport()
        : new AmqpTransport({ ...transportOptions, url: amqpUrl }),
    stop: stopAll,
    [Symbol.asyncDispose]: stopAll,
  };
}
