import { acquireInfrastructure, type StartedInfrastructure } from '../infra/acquire-infrastructure';
import type { ScenarioMode, ScenarioTargetFactory } from '../scenario/scenario-target';

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
