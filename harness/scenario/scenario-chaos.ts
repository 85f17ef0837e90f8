import type { ChaosFault } from '../chaos/plan/chaos-fault';
import type { ServiceRouter } from '../target/target';
import type { ScenarioFault } from './scenario-schema';

/**
 * The chaos proxy as the scenario runner uses it for every target on a broker, its services in this process or
 * not: they reach the broker through it (`router`, handed to `Target.start`), and the scenario's message faults
 * become its plan. A target without a broker (the in-memory transport) never asks the router for a URL: its
 * transports are wrapped by the `FaultInjector` instead.
 */
export interface ScenarioChaos {
  /** Per-service proxy URLs and cuts, for `TargetContext.router`. */
  readonly router: ServiceRouter;
  /** Arms faults on the proxied traffic from now on. */
  apply(faults: readonly ChaosFault[]): Promise<void>;
  /** Closes the proxy's listeners and connections. */
  stop(): Promise<void>;
}

/** What the runner tells the proxy when it opens it for one run. */
export interface ScenarioChaosContext {
  readonly namespace: string;
  /**
   * Records what the proxy did in the report's list of applied faults, under the scenario fault kind it applied
   * (a lost ack is `redeliver`), or `proxy` for its own lines.
   */
  readonly note: (detail: string, kind?: ScenarioFault['kind']) => void;
}

/** Opens the proxy for one run. */
export type ScenarioChaosFactory = (context: ScenarioChaosContext) => Promise<ScenarioChaos>;

/**
 * A scenario's message faults as a chaos-proxy plan: each aimed at the named consumer, or at every service when
 * none is named. `redeliver` is a lost ack followed by a cut (the broker redelivers what was never acked);
 * `reorder` holds two matching deliveries and releases them in reverse, after `window` at the latest. Lifecycle
 * faults (cut, kill, restart, pause) are fired by the runner when their trigger is seen.
 */
export function toChaosFaults(faults: readonly ScenarioFault[], services: readonly string[]): ChaosFault[] {
  return faults.flatMap((fault): ChaosFault[] => {
    switch (fault.kind) {
      case 'duplicate':
        return (fault.service ? [fault.service] : services).map((service) => ({
          kind: 'duplicate',
          service,
          match: { eventType: fault.event },
          copies: fault.copies,
        }));
      case 'delay':
        return (fault.service ? [fault.service] : services).map((service) => ({
          kind: 'delay',
          service,
          match: { eventType: fault.event },
          ms: fault.by,
        }));
      case 'reorder':
        return (fault.service ? [fault.service] : services).map((service) => ({
          kind: 'reorder',
          service,
          match: { eventType: fault.event },
          count: 2,
          maxHoldMs: fault.window,
        }));
      case 'redeliver':
        return (fault.service ? [fault.service] : services).map((service) => ({
          kind: 'lose-ack',
          service,
          match: { eventType: fault.event },
          times: fault.times,
          thenCut: 'close',
        }));
      default:
        return [];
    }
  });
}
