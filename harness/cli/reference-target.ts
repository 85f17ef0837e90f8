import path from 'node:path';
import { acquireInfrastructure, type StartedInfrastructure } from '../infra/acquire-infrastructure';
import { maskUrl } from '../infra/mask-url';
import { tcpReachable } from '../infra/probes';
import type { ScenarioChaosFactory } from '../scenario/scenario-chaos';
import type { ScenarioMode } from '../scenario/scenario-report';
import type { VocabularyOptions } from '../scenario/scenario-vocabulary';
import type { Target } from '../target/target';
import { CliExit } from './cli-exit';
import { resolveTarget, type TargetFlags } from './resolve-target';

/**
 * What `troupe scenarios` and `troupe run` run on: the user's manifest (`troupe.config.*` in the working directory
 * or `--config FILE`), else the reference shop on the infrastructure harness/infra chose. The only place (with
 * tests) where the harness reaches into reference-services, lazily, for the shop's Target.
 */
export interface AcquiredTarget extends AsyncDisposable {
  /** `manifest`: the user's services (processes); `reference`: the shop in this process. */
  readonly kind: 'manifest' | 'reference';
  readonly mode: ScenarioMode;
  readonly target: Target;
  /** The command's first line: which target, on which broker (loudly so for the in-memory transport). */
  readonly firstLine: string;
  /** How scenario specs for this target are checked (message faults need the proxy for manifests). */
  readonly vocabulary: VocabularyOptions;
  /**
   * On a broker (a manifest's processes, or the shop in this process): the services' connections and message
   * faults go through the chaos proxy. Undefined on the in-memory transport (faults applied in process).
   */
  readonly chaos: ScenarioChaosFactory | undefined;
  /** Database for `sql` probes without a `url`. */
  readonly databaseUrl: string | undefined;
  /** The manifest's folder (relative `scenarios/` default), or the working directory. */
  readonly dir: string;
  /** The infrastructure, when one was acquired for the shop. */
  readonly infrastructure: StartedInfrastructure | undefined;
  /** Why the in-memory transport is used, when it is. */
  readonly simReason: string | undefined;
}

/** Options of `acquireTarget`. */
export interface AcquireTargetOptions extends TargetFlags {
  readonly sim: boolean;
  /** Only specs will be checked (`--check`, `--write-schema`): acquire no broker. */
  readonly specsOnly?: boolean;
  /** Where to look for `troupe.config.*`; default the working directory. */
  readonly cwd?: string;
  /** Default: harness/infra's `acquireInfrastructure()` (injectable for tests). */
  readonly acquire?: () => Promise<StartedInfrastructure>;
  /** Default: a TCP probe of the broker's host and port. */
  readonly reachable?: (url: string) => Promise<boolean>;
}

/**
 * Chooses the target and where it runs. A manifest (`--config`, or `troupe.config.*` in `cwd`) runs its services as
 * processes on its broker; without one the reference shop runs on `--sim` → the in-memory transport, else
 * harness/infra (AMQP_URL / local broker / Testcontainers), falling back to the in-memory transport when no broker
 * is reachable. A bad manifest ends the command (exit 2) before anything starts.
 */
export async function acquireTarget(options: AcquireTargetOptions): Promise<AcquiredTarget> {
  const choice = await resolveTarget(options, options.cwd === undefined ? {} : { cwd: options.cwd });
  const { proxyChaos } = await import('../scenario/proxy-chaos');
  const cwd = path.resolve(options.cwd ?? process.cwd());
  if (choice.kind === 'manifest') {
    if (options.sim && !options.specsOnly) {
      throw new CliExit(
        2,
        `troupe: --sim runs the reference shop in memory; ${path.relative(cwd, choice.file) || choice.file} starts real services and needs a broker`,
      );
    }
    const brokerUrl = choice.loaded.config.broker.url ?? process.env['AMQP_URL'];
    return {
      kind: 'manifest',
      mode: 'broker',
      target: choice.target,
      firstLine: `${choice.firstLine}; broker: ${brokerUrl === undefined ? 'amqp://127.0.0.1:5672 (default)' : maskUrl(brokerUrl)}`,
      vocabulary: { exchanges: choice.loaded.config.broker.exchanges.map((exchange) => exchange.name) },
      chaos: proxyChaos(choice.target),
      databaseUrl: process.env['DATABASE_URL'],
      dir: choice.loaded.dir,
      infrastructure: undefined,
      simReason: undefined,
      [Symbol.asyncDispose]: () => Promise.resolve(),
    };
  }
  const { shopTarget } = await import('../../reference-services/target/shop-target');
  const which = choice.firstLine.replace(/^troupe: /, '');
  const reference = (
    mode: ScenarioMode,
    target: Target,
    where: string,
    extra: Pick<AcquiredTarget, 'infrastructure' | 'simReason' | 'databaseUrl'>,
    dispose: () => Promise<void>,
  ): AcquiredTarget => ({
    kind: 'reference',
    mode,
    target,
    firstLine: `troupe: ${where}; ${which}`,
    vocabulary: {},
    chaos: mode === 'broker' ? proxyChaos(target) : undefined,
    dir: cwd,
    ...extra,
    [Symbol.asyncDispose]: dispose,
  });
  const simLine = (reason: string): string =>
    `running on the deterministic IN-MEMORY transport and store (${reason}), not on a real broker`;
  if (options.sim || options.specsOnly) {
    return reference(
      'sim',
      shopTarget({ mode: 'sim' }),
      simLine(options.sim ? '--sim' : 'specs only'),
      { infrastructure: undefined, simReason: '--sim', databaseUrl: undefined },
      () => Promise.resolve(),
    );
  }
  const infrastructure = await (options.acquire ?? acquireInfrastructure)();
  const dispose = (): Promise<void> => infrastructure.stop();
  if (infrastructure.amqpUrl === undefined) {
    const reason = infrastructure.broker.kind === 'memory' ? infrastructure.broker.reason : 'no broker';
    return reference(
      'sim',
      shopTarget({ mode: 'sim' }),
      simLine(reason),
      { infrastructure, simReason: reason, databaseUrl: undefined },
      dispose,
    );
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
  const where =
    infrastructure.databaseUrl === undefined
      ? `${infrastructure.describe()} (the shop keeps its state in the in-memory store)`
      : infrastructure.describe();
  return reference(
    'broker',
    shopTarget({
      mode: 'broker',
      amqpUrl: infrastructure.amqpUrl,
      ...(infrastructure.databaseUrl ? { databaseUrl: infrastructure.databaseUrl } : {}),
    }),
    where,
    { infrastructure, simReason: undefined, databaseUrl: infrastructure.databaseUrl },
    dispose,
  );
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
