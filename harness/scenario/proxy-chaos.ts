import { describeChaosFault } from '../chaos/plan/chaos-fault';
import { startChaosProxy, type StartedChaosProxy } from '../chaos/start-chaos-proxy';
import type { Target } from '../target/target';
import type { ChaosFault, ChaosFaultKind } from '../chaos/plan/chaos-fault';
import type { ScenarioChaosFactory } from './scenario-chaos';
import type { ScenarioFault } from './scenario-schema';

/** The scenario fault a proxy fault applies, for the report (the others are the proxy's own). */
const scenarioKindOf: Partial<Record<ChaosFaultKind, ScenarioFault['kind']>> = {
  duplicate: 'duplicate',
  delay: 'delay',
  reorder: 'reorder',
  'lose-ack': 'redeliver',
  pause: 'pause',
  cut: 'cut',
};

/**
 * The chaos proxy for a scenario run against `target`'s services: one listener per service, started when the
 * first service asks the router for its URL (the upstream is the broker URL the target would have given it).
 * Every fault the proxy applies is noted in the scenario report.
 */
export function proxyChaos(target: Target): ScenarioChaosFactory {
  return ({ note }) => {
    let proxy: Promise<StartedChaosProxy> | undefined;
    const started = (brokerUrl: string): Promise<StartedChaosProxy> =>
      (proxy ??= startChaosProxy({
        upstream: brokerUrl,
        listeners: target.serviceNames.map((service) => ({ service })),
        adapter: target.adapter,
        onFault: (entry) => note(`proxy: ${entry.service}: ${entry.detail}`, scenarioKindOf[entry.kind]),
      }));
    const running = async (): Promise<StartedChaosProxy> => {
      if (!proxy) throw new Error('no service of this target goes through the chaos proxy (all external?)');
      return proxy;
    };
    return Promise.resolve({
      router: {
        urlFor: async (service, brokerUrl) => (await started(brokerUrl)).urlFor(service),
        cut: async (service) =>
          `cut ${(await running()).cut(service, 'close')} connection(s) of ${service} (proxy)`,
      },
      async apply(faults) {
        const live = await running();
        // One line per scenario fault: a fault without a service is armed once for each listener.
        const armed = new Map<string, { fault: ChaosFault; services: string[] }>();
        for (const fault of faults) {
          live.apply(fault);
          const key = JSON.stringify({ ...fault, service: '' });
          const same = armed.get(key);
          if (same) same.services.push(fault.service);
          else armed.set(key, { fault, services: [fault.service] });
        }
        for (const { fault, services } of armed.values()) {
          const marker = '\u0000';
          note(
            `armed: ${describeChaosFault({ ...fault, service: marker }).replace(marker, services.join(', '))}`,
          );
        }
      },
      async stop() {
        if (proxy) await (await proxy).stop();
      },
    });
  };
}
