import type { EnvelopeAdapter } from '../../events/envelope-adapter';
import type { Invariant } from '../invariant';
import type { SeededRandom } from '../_internals/seeded-random';

/** What a broker target gets when it starts. */
export interface BrokerTargetContext {
  /** AMQP URL of the broker. */
  readonly url: string;
  /** Unique per session: derive exchange, queue and schema names from it. */
  readonly namespace: string;
  /** The session's seeded randomness: use it for workloads so a seed replays the same orders. */
  readonly random: SeededRandom;
  /** How many flows the session will start (to size stock, for example). */
  readonly flows: number;
}

/** One flow the driver started. */
export interface StartedFlow {
  /** Business key (orderId): what invariants group by. */
  readonly key: string;
  /** Correlation id, when known: what the Jepsen accounting groups by. */
  readonly correlationId?: string;
}

/** A running system under test on the broker. */
export interface StartedBrokerTarget {
  /** The exchange the services publish every event to. */
  readonly exchange: string;
  /**
   * `troupe.<purpose>.<pid>.` prefix of the services' connection names, when they run in this process: the fuzzer
   * cuts exactly those (forced redeliveries), never anyone else's.
   */
  readonly connectionPrefix?: string;
  /** Starts flow number `index` (places an order, publishes a command…). */
  startFlow(index: number): Promise<StartedFlow>;
  /** Final state, for state invariants (white-box; omit for black-box targets). */
  state?(): Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * A system the live-broker fuzzer can drive. Black-box: it needs only the exchange, an envelope adapter, the
 * terminal event types and invariants over events; `start` may launch services in this process, or merely
 * connect a driver to services running elsewhere (in any language).
 */
export interface BrokerTarget {
  readonly name: string;
  readonly adapter: EnvelopeAdapter;
  /** Event types that end a flow. */
  readonly terminalTypes: readonly string[];
  /** Event types a flow may emit at most once (distinct eventIds), for the accounting. Default: terminal types. */
  readonly atMostOnce?: readonly string[];
  readonly invariants: readonly Invariant[];
  start(context: BrokerTargetContext): Promise<StartedBrokerTarget>;
}
