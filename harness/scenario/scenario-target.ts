import type { EnvelopeAdapter } from '../events/envelope-adapter';
import type { Transport } from '../transport/transport';
import type { FaultInjector } from './fault-injector';

/** Where a scenario runs: a real broker, or the deterministic in-memory transport. */
export type ScenarioMode = 'broker' | 'sim';

/** A customer of `given`, with the ids the runner generated for this run. */
export interface ResolvedCustomer {
  readonly name: string;
  readonly customerId: string;
  readonly tier: 'standard' | 'premium';
  readonly email: string;
}

/** A gateway rule of `given`, customer names resolved to ids. */
export interface ResolvedGatewayRule {
  readonly customerId?: string;
  readonly minAmountMinor?: number;
  readonly reason: string;
}

/** The seeded state of a scenario with generated ids filled in. */
export interface ResolvedGiven {
  readonly stock: Readonly<Record<string, number>>;
  readonly customers: readonly ResolvedCustomer[];
  readonly gateway: {
    readonly declines: readonly ResolvedGatewayRule[];
    readonly refundFailures: readonly ResolvedGatewayRule[];
  };
}

/** The storefront command a `placeOrder` step sends. */
export interface ScenarioOrderCommand {
  readonly orderId: string;
  readonly correlationId: string;
  readonly customerId: string;
  readonly items: readonly {
    readonly sku: string;
    readonly quantity: number;
    readonly unitPrice: { readonly amountMinor: number; readonly currency: string };
  }[];
  readonly fraudScore: number;
}

/** What the runner hands a target factory. */
export interface ScenarioTargetContext {
  /**
   * Unique per scenario run (`scn-<name>-<hex>`: lower case, digits, `-`; at most 48 characters): name exchanges,
   * queues and schemas after it so runs never share anything.
   */
  readonly namespace: string;
  readonly mode: ScenarioMode;
  readonly given: ResolvedGiven;
  /** Wrap every Transport the services use with `faults.wrap(...)` so message faults apply. */
  readonly faults: FaultInjector;
  /** Services a `restartService` fault will stop and start: run them so that they can be restarted alone. */
  readonly restartableServices: readonly string[];
}

/**
 * The system under test, as the scenario runner sees it: black-box enough for services Troupe did not write
 * (an exchange, an envelope adapter, a way to send commands and read final state). The reference shop's target
 * lives in `scenarios/shop-target.ts`.
 */
export interface ScenarioTarget {
  /** The exchange every event is published to (the tap binds `#` to it). */
  readonly exchange: string;
  readonly adapter: EnvelopeAdapter;
  /** A transport for the tap, on a connection that faults never cut. */
  readonly observerTransport: Transport;
  /** Event types that end a flow; every flow must reach exactly one. */
  readonly terminalEventTypes: readonly string[];
  /** Event types that cause nothing further, for quiescence detection. */
  readonly leafEventTypes?: readonly string[];
  /** Which service consumes `queue` (for service-scoped faults); undefined for other queues. */
  serviceOfQueue(queue: string): string | undefined;
  /** Sends the storefront command that starts an order flow. */
  placeOrder(command: ScenarioOrderCommand): Promise<void>;
  /** Publishes a catalog event (validated by the target) into the flow `correlationId`. */
  publish(
    eventType: string,
    payload: unknown,
    flow: { correlationId: string; causationId: string },
  ): Promise<void>;
  /** The order's status in the owning service, or undefined when it has no such order. */
  orderStatus(orderId: string): Promise<string | undefined>;
  /** Units on hand for `sku`, or undefined when the SKU is unknown. */
  stockLevel(sku: string): Promise<number | undefined>;
  /** Cuts the broker connections of `service` (or of every service). Services must reconnect by themselves. */
  cutConnections(service?: string): Promise<string>;
  /** Messages the services dead-lettered during the run so far (with the reason they gave, when any). */
  deadLetters?(): readonly DeadLetter[];
  /** Stops `service` and starts it again on the same state. */
  restartService(service: string): Promise<string>;
  /** Stops everything the target started and removes its queues/schemas. */
  stop(): Promise<void>;
}

/** A message a service refused and dead-lettered. */
export interface DeadLetter {
  readonly service: string;
  readonly eventType?: string | undefined;
  readonly reason?: string | undefined;
}

/** Builds a target for one scenario run. */
export type ScenarioTargetFactory = (context: ScenarioTargetContext) => Promise<ScenarioTarget>;
