import { acquireInfrastructure, type StartedInfrastructure } from '../infra/acquire-infrastructure';
import { maskUrl } from '../infra/mask-url';
import { tcpReachable } from '../infra/probes';
import type { ScenarioMode, ScenarioTargetFactory } from '../scenario/scenario-target';
import { CliExit } from './cli-exit';

/**
 * The CLI's "reference target": the reference shop, on the infrastructure harness/infra chose. The only place
 * (with tests) where the harness reaches into reference-services, and only through scenarios/shop-target.ts.
 */
export interface AcquiredTarget extends AsyncDisposable {
  readonly mode: ScenarioMode;
  readonly factory: ScenarioTargetFactory;
  /** The infrastructure, when a broker was acquired (undefined with `--sim`). */
  readonly infrastructure: StartedInfrastructure | undefined;
  /** Why the in-memory transport is used, when it is. */
  readonly simReason: string | undefined;
}

/**
 * Chooses where scenarios run: `--sim` → in-memory transport; else harness/infra (AMQP_URL / local broker /
 * Testcontainers), falling back to the in-memory transport when no broker is reachable.
 */
export async function acquireTarget(options: {
  readonly sim: boolean;
  /** Default: harness/infra's `acquireInfrastructure()` (injectable for tests). */
  readonly acquire?: () => Promise<StartedInfrastructure>;
  /** Default: a TCP probe of the broker's host and port. */
  readonly reachable?: (url: string) => Promise<boolean>;
}): Promise<AcquiredTarget> {
  const { shopTarget } = await import('../../scenarios/shop-target');
  if (options.sim) {
    return {
      mode: 'sim',
      factory: shopTarget({ mode: 'sim' }),
      infrastructure: undefined,
      simReason: '--sim',
      [Symbol.asyncDispose]: () => Promise.resolve(),
    };
  }
  const infrastructure = await (options.acquire ?? acquireInfrastructure)();
  const dispose = (): Promise<void> => infrastructure.stop();
  if (infrastructure.amqpUrl === undefined) {
    const reason = infrastructure.broker.kind === 'memory' ? infrastructure.broker.reason : 'no broker';
    return {
      mode: 'sim',
      factory: shopTarget({ mode: 'sim' }),
      infrastructure,
      simReason: reason,
      [Symbol.asyncDispose]: dispose,
    };
  }
  // A configured AMQP_URL is used as given, not probed by harness/infra: check it once here, so a typo fails the
  // run in a second with its cause instead of every scenario waiting for a connection.
  if (!(await (options.reachable ?? brokerReachable)(infrastructure.amqpUrl))) {
    await dispose();
    throw new CliExit(
      2,
      `troupe: the broker at ${maskUrl(infrastructure.amqpUrl)} is not reachable (check AMQP_URL, or run with --sim)`,
    );
  }
  return {
    mode: 'broker',
    factory: shopTarget({
      mode: 'broker',
      amqpUrl: infrastructure.amqpUrl,
      ...(infrastructure.databaseUrl ? { databaseUrl: infrastructure.databaseUrl } : {}),
    }),
    infrastructure,
    simReason: undefined,
    [Symbol.asyncDispose]: dispose,
  };
}

/** The first line of a run: where it runs, and loudly so when it fell back to the in-memory transport. */
export function describeTargetLine(target: AcquiredTarget): string {
  if (target.mode === 'sim') {
    return (
      `troupe: running on the deterministic IN-MEMORY transport and store (${target.simReason ?? 'sim'}), ` +
      'not on a real broker'
    );
  }
  const line = `troupe: ${target.infrastructure?.describe() ?? 'RabbitMQ'}`;
  return target.infrastructure?.databaseUrl === undefined
    ? `${line} (scenario services keep their state in the in-memory store)`
    : line;
}

async function brokerReachable(url: string): Promise<boolean> {
  try {
    const parsed = new URL(url);
    const port = Number(parsed.port || (parsed.protocol === 'amqps:' ? 5671 : 5672));
    return await tcpReachable(parsed.hostname, port, 2_000);
  } catch {
    return false;
  }
}
