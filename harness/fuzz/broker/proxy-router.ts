import { startChaosProxy, type StartedChaosProxy } from '../../chaos/start-chaos-proxy';
import type { EnvelopeAdapter } from '../../events/envelope-adapter';
import type { ServiceRouter } from '../../target/target';

/** Whether a router is the chaos proxy's (then broker fuzzing applies its message faults through it). */
export function isProxyRouter(router: ServiceRouter): router is ProxyRouter {
  return 'proxy' in router;
}

/** A ServiceRouter backed by the chaos proxy, and how to stop it. */
export interface ProxyRouter extends ServiceRouter {
  readonly proxy: StartedChaosProxy;
  stop(): Promise<void>;
}

/**
 * Routes every named service through its own listener of the AMQP chaos proxy (`harness/chaos`): the target hands
 * each service `urlFor(service)` instead of the broker's URL, and a cut closes exactly that service's proxied
 * connections — for any client in any language, on any broker the proxy reaches.
 */
export async function startProxyRouter(options: {
  readonly upstream: string;
  readonly services: readonly string[];
  readonly adapter?: EnvelopeAdapter;
  readonly log?: (line: string) => void;
  /** Seeds the proxy's random choices (faults with a `probability`): pass the fuzz session's seed. */
  readonly seed?: number;
}): Promise<ProxyRouter> {
  const proxy = await startChaosProxy({
    upstream: options.upstream,
    listeners: options.services.map((service) => ({ service })),
    ...(options.adapter ? { adapter: options.adapter } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.seed !== undefined ? { plan: { seed: options.seed, faults: [] } } : {}),
  });
  return {
    proxy,
    urlFor: (service) => Promise.resolve(proxy.urlFor(service)),
    cut: (service) => Promise.resolve(`cut ${proxy.cut(service)} connection(s) of ${service} (chaos proxy)`),
    stop: () => proxy.stop(),
  };
}
