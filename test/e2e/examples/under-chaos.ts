import { startChaosProxy, type StartedChaosProxy } from '../../../harness/chaos';
import { loadConfig } from '../../../harness/config/load-config';
import { seededRandom } from '../../../harness/fuzz/_internals/seeded-random';
import type { Invariant } from '../../../harness/fuzz/invariant';
import { countPublications } from '../../../harness/observe/publications';
import { startSystemTap, type StartedSystemTap } from '../../../harness/observe/system-tap';
import { targetFromConfig } from '../../../harness/target/config-target';
import type { StartedTarget } from '../../../harness/target/target';

/** An example started from its manifest, every service routed through the chaos proxy, the system tapped. */
export interface ExampleUnderChaos extends AsyncDisposable {
  readonly started: StartedTarget;
  readonly proxy: StartedChaosProxy;
  readonly tap: StartedSystemTap;
  /** The manifest's invariants checked on what the system published (Troupe's own messages left out). */
  violations(flows: readonly string[]): string[];
}

/**
 * Starts the example whose manifest is `configFile` the way a Troupe runner does: `targetFromConfig`, a chaos
 * proxy listener per service handed to the services as their AMQP_URL, and a system tap (per exchange type, the
 * firehose for messages sent straight to a queue). `stop` (or `await using`) removes processes, tap and proxy.
 */
export async function startUnderChaos(configFile: string, namespace: string): Promise<ExampleUnderChaos> {
  const loaded = await loadConfig({ file: configFile });
  const target = targetFromConfig(loaded);
  const upstream = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
  const proxy = await startChaosProxy({
    upstream,
    listeners: target.serviceNames.map((service) => ({ service })),
    adapter: target.adapter,
  });
  let started: StartedTarget | undefined;
  let tap: StartedSystemTap | undefined;
  const stop = async (): Promise<void> => {
    await tap?.stop();
    await started?.stop();
    await proxy.stop();
  };
  try {
    started = await target.start({
      namespace,
      random: seededRandom(1),
      brokerUrl: upstream,
      router: {
        urlFor: (service) => Promise.resolve(proxy.urlFor(service)),
        cut: (service) => Promise.resolve(`cut ${proxy.cut(service, 'reset')} connection(s) of ${service}`),
      },
    });
    tap = await startSystemTap({
      transport: started.openTransport('example-tap'),
      exchanges: started.exchanges,
      directQueues: started.directQueues,
      adapter: started.adapter,
      queuePrefix: `troupe.tap.${namespace}`,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  const invariants: Invariant[] = target.flows.flatMap((flow) => flow.invariants);
  const openTap = tap;
  return {
    started,
    proxy,
    tap: openTap,
    violations: (flows) => {
      const { events } = countPublications(openTap.log.all());
      return invariants.flatMap((check) => check.check({ events, flows }).map((v) => `${check.name}: ${v}`));
    },
    [Symbol.asyncDispose]: stop,
  };
}
