import { InfraError } from './infra-error';

/** The local RabbitMQ probed when `AMQP_URL` is unset. */
export const LOCAL_AMQP = {
  host: '127.0.0.1',
  port: 5672,
  url: 'amqp://guest:guest@127.0.0.1:5672',
} as const;
/** The local PostgreSQL probed when `DATABASE_URL` is unset. */
export const LOCAL_POSTGRES = {
  host: '127.0.0.1',
  port: 5432,
  url: 'postgres://postgres@127.0.0.1:5432/test',
} as const;

/** Where a broker or database comes from: a configured URL, the local default, or a Testcontainers container. */
export type ServerSource = 'env' | 'local' | 'testcontainers';

/** The broker to use. `memory` is the deterministic in-memory transport (no broker anywhere). */
export type BrokerChoice =
  | { readonly kind: 'rabbitmq'; readonly source: 'env' | 'local'; readonly url: string }
  | { readonly kind: 'rabbitmq'; readonly source: 'testcontainers' }
  | { readonly kind: 'memory'; readonly reason: string };

/** The database to use. `pglite` is embedded PostgreSQL (same SQL, no server). */
export type DatabaseChoice =
  | { readonly kind: 'postgres'; readonly source: 'env' | 'local'; readonly url: string }
  | { readonly kind: 'postgres'; readonly source: 'testcontainers' }
  | { readonly kind: 'pglite'; readonly reason: string };

/** The decision `chooseInfrastructure` makes: where the broker and the database come from. */
export interface InfrastructureChoice {
  readonly broker: BrokerChoice;
  readonly database: DatabaseChoice;
}

/** What the decision looks at; injectable so every branch is unit-testable without servers or Docker. */
export interface InfrastructureProbes {
  /** Environment (`AMQP_URL`, `DATABASE_URL`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** True when a TCP connection to host:port succeeds. */
  tcpReachable(host: string, port: number): Promise<boolean>;
  /** True when a Docker engine answers (DOCKER_HOST or /var/run/docker.sock). */
  dockerAvailable(): Promise<boolean>;
}

function configured(
  env: InfrastructureProbes['env'],
  name: string,
  schemes: readonly string[],
): string | undefined {
  const value = env[name]?.trim();
  if (value === undefined || value === '') return undefined;
  let scheme: string;
  try {
    scheme = new URL(value).protocol;
  } catch (cause) {
    throw new InfraError('invalid-url', `${name} is not a URL (expected ${schemes.join(' or ')}//…)`, {
      cause,
    });
  }
  if (!schemes.includes(scheme)) {
    throw new InfraError('invalid-url', `${name} has scheme ${scheme}, expected ${schemes.join(' or ')}`);
  }
  return value;
}

/**
 * Decides where the broker and the database come from, in this order for each: the URL in `AMQP_URL` /
 * `DATABASE_URL` (used as given, not probed: the user asked for it); the local default server if a TCP probe
 * reaches it; Testcontainers when a Docker engine answers; otherwise the in-memory transport / embedded PGlite.
 * Starts nothing — `acquireInfrastructure` acts on the decision. Docker is probed at most once, and only if needed.
 */
export async function chooseInfrastructure(probes: InfrastructureProbes): Promise<InfrastructureChoice> {
  const amqpUrl = configured(probes.env, 'AMQP_URL', ['amqp:', 'amqps:']);
  const databaseUrl = configured(probes.env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const [brokerLocal, databaseLocal] = await Promise.all([
    amqpUrl === undefined ? probes.tcpReachable(LOCAL_AMQP.host, LOCAL_AMQP.port) : false,
    databaseUrl === undefined ? probes.tcpReachable(LOCAL_POSTGRES.host, LOCAL_POSTGRES.port) : false,
  ]);
  const needDocker = (amqpUrl === undefined && !brokerLocal) || (databaseUrl === undefined && !databaseLocal);
  const docker = needDocker ? await probes.dockerAvailable() : false;

  const broker: BrokerChoice =
    amqpUrl !== undefined
      ? { kind: 'rabbitmq', source: 'env', url: amqpUrl }
      : brokerLocal
        ? { kind: 'rabbitmq', source: 'local', url: LOCAL_AMQP.url }
        : docker
          ? { kind: 'rabbitmq', source: 'testcontainers' }
          : {
              kind: 'memory',
              reason: `AMQP_URL unset, nothing listening on ${LOCAL_AMQP.host}:${LOCAL_AMQP.port}, no Docker engine`,
            };
  const database: DatabaseChoice =
    databaseUrl !== undefined
      ? { kind: 'postgres', source: 'env', url: databaseUrl }
      : databaseLocal
        ? { kind: 'postgres', source: 'local', url: LOCAL_POSTGRES.url }
        : docker
          ? { kind: 'postgres', source: 'testcontainers' }
          : {
              kind: 'pglite',
              reason: `DATABASE_URL unset, nothing listening on ${LOCAL_POSTGRES.host}:${LOCAL_POSTGRES.port}, no Docker engine`,
            };
  return { broker, database };
}
