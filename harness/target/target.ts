import type { z } from 'zod';
import type { EnvelopeAdapter } from '../events/envelope-adapter';
import type { SeededRandom } from '../fuzz/_internals/seeded-random';
import type { Invariant } from '../fuzz/invariant';
import type { ExchangeType, OutgoingMessage, Transport } from '../transport/transport';

/*
 * The Target port: the one thing every runner — scenarios, broker fuzzing, `troupe trace`, contracts by capture —
 * talks to. Two makers implement it: `targetFromConfig` (harness/target/config-target.ts: a manifest, services as
 * child processes) and the reference shop's in-process target (reference-services/target/). Runners never ask
 * which one they hold: everything a runner may need is here, and an optional capability (`state`, `steps`,
 * `probes`) is described as data so a runner can list, validate and call it without knowing the target.
 *
 * Lifecycle: `target.start(context)` → `StartedTarget` (services running and ready, exchanges checked) →
 * `startFlow` / `publish` / `service(name).kill()` … → `stop()` (every process, connection and queue the run
 * created is gone; also `await using`).
 */

/** The four AMQP exchange types (defined with the Transport port). */
export type { ExchangeType };

/** An exchange of the system under test. */
export interface TargetExchange {
  readonly name: string;
  readonly type: ExchangeType;
  /**
   * direct exchanges: the routing keys the system publishes with (a tap binds one queue binding per key).
   * Unknown → the tap falls back to the firehose for this exchange.
   */
  readonly routingKeys?: readonly string[];
}

/** Header Troupe sets on every message it publishes itself (flow starts, scenario steps, chaos copies). */
export { INJECTED_HEADER } from '../observe/injected-message';

/** Why Troupe published a message (the value of `x-troupe-injected`). */
export type InjectedReason = 'flow-start' | 'step' | 'chaos' | 'test';

/** One line a service wrote, kept per run. */
export interface ServiceOutputLine {
  /** Epoch ms. */
  readonly at: number;
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

/** How a service ended (or was ended). */
export interface ServiceExit {
  readonly service: string;
  /** Exit code, or null when a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** True when Troupe stopped or killed it (an expected exit); false when it died by itself. */
  readonly expected: boolean;
  /** Its last lines of output (at most 20). */
  readonly lastLines: readonly string[];
}

/** One service of a started target: its lifecycle, its output, how it reaches the broker. */
export interface TargetService {
  readonly name: string;
  /** Not started by Troupe (`external: true`): start/stop/kill/restart throw `TargetError('not-managed')`. */
  readonly external: boolean;
  /** Queues it consumes from, when known (for faults aimed at its consumers). */
  readonly queues: readonly string[];
  /** Running now (for external services: assumed). */
  readonly running: boolean;
  /** The broker URL it was given (the proxy's when routed), when Troupe started it. */
  readonly brokerUrl: string | undefined;
  /** Starts it (if stopped) and waits until it is ready (bounded; the error carries its last 20 lines). */
  start(): Promise<void>;
  /** Graceful stop: its stop signal, its grace period, then SIGKILL. Resolves once the process is gone. */
  stop(): Promise<ServiceExit | undefined>;
  /** SIGKILL (or `signal`) at once; resolves once the process is gone. An expected exit: the run goes on. */
  kill(signal?: NodeJS.Signals): Promise<ServiceExit | undefined>;
  /** stop() then start(): same command, same environment, same broker URL. */
  restart(): Promise<void>;
  /** Cuts its broker connections (through the proxy when routed; see `TargetContext.router`). */
  cut(): Promise<string>;
  /** Everything it wrote during this run, in order (both streams). */
  output(): readonly ServiceOutputLine[];
  /** Its last `lines` lines (default 20), for error messages. */
  tail(lines?: number): readonly string[];
}

/** A runner's way of routing a service's AMQP connection (the chaos proxy implements it). */
export interface ServiceRouter {
  /** The URL `service` must use instead of `brokerUrl` (e.g. the proxy's listener for it). */
  urlFor(service: string, brokerUrl: string): Promise<string>;
  /** Cuts the routed connections of `service`; returns a line saying what it did. */
  cut(service: string): Promise<string>;
}

/** What a runner hands `Target.start`. */
export interface TargetContext {
  /**
   * Unique per run (lower case, digits, `-`, at most 48 characters). In-process targets name their exchanges,
   * queues and schemas after it; a manifest target cannot rename foreign exchanges and uses it for Troupe's own
   * queues only.
   */
  readonly namespace: string;
  /** Seeded randomness of the run (workloads, generated keys): a seed replays the same flows. */
  readonly random: SeededRandom;
  /** AMQP URL for the target's broker. Default: the target's own (manifest `broker.url`, `AMQP_URL`, local). */
  readonly brokerUrl?: string;
  /** How many flows the run will start, when known (to size stock, for example). */
  readonly flows?: number;
  /** Route services through a proxy (per-service URLs, cuts). Without it services get `brokerUrl` directly. */
  readonly router?: ServiceRouter;
  /**
   * In-process targets wrap every transport a service uses with this. Without a broker the scenario runner's
   * message faults are applied there; on a broker they go through `router` (the chaos proxy) and the wrapper
   * only watches (redeliveries seen in process, consumers held while a cut lands). Process targets ignore it.
   */
  readonly wrapServiceTransport?: (service: string, transport: Transport) => Transport;
  /** A service exited although nobody asked it to: the run must fail, naming it (see `StartedTarget.failure`). */
  readonly onServiceExit?: (exit: ServiceExit) => void;
  /** Progress lines (service started, ready, stopped). */
  readonly log?: (line: string) => void;
  /** Aborting interrupts readiness waits; `stop()` must still be called. */
  readonly signal?: AbortSignal;
}

/** A kind of flow the target runs (an order, a signup…). */
export interface TargetFlow {
  readonly name: string;
  /** Dot path of the business key in event payloads (`data.orderId`), when the flow has one. */
  readonly keyPath?: string;
  /** Event types that end the flow: each flow must reach exactly one. */
  readonly terminalTypes: readonly string[];
  /** Types a flow may emit at most once, for the accounting. Default: the terminal types. */
  readonly atMostOnce?: readonly string[];
  readonly invariants: readonly Invariant[];
}

/** One flow a runner started. */
export interface StartedFlow {
  /** Name of its `TargetFlow`. */
  readonly flow: string;
  /** Business key: what invariants group by. */
  readonly key: string;
  /** Correlation id the adapter will read on its events (the key, for formats without one). */
  readonly correlationId: string;
}

/**
 * An extra typed step or probe a target adds to the scenario vocabulary (the shop's `placeOrder`, `stock`…). The
 * zod schema validates the spec's arguments and feeds the scenario JSON Schema, so editors complete it.
 */
export interface TargetCapability<Args = unknown, Result = unknown> {
  readonly description: string;
  /** The step's fields: a `z.strictObject`, so the scenario spec can merge it (and add `as`/`flow`/`count`). */
  readonly schema: z.ZodType<Args>;
  /** A step that starts a flow (`placeOrder`): the runner generates its key and correlation id (`context.flow`). */
  readonly startsFlow?: boolean;
  /** Names this step declares for later steps (the shop's `customers` step declares customers by name). */
  readonly declares?: (args: Args) => readonly { readonly kind: string; readonly name: string }[];
  /**
   * Names this step or probe uses that an earlier step must declare (`placeOrder.customer`): a scenario using an
   * undeclared one is refused at load time, at `path` (relative to the step's fields).
   */
  readonly uses?: (
    args: Args,
  ) => readonly { readonly kind: string; readonly name: string; readonly path: readonly PropertyKey[] }[];
  /** Steps: resolve when done. Probes: resolve with a `ProbeCheck` or a list of them (one per thing read). */
  run(started: StartedTarget, args: Args, context: CapabilityContext): Promise<Result>;
}

/** A flow as scenario steps and probes see it. */
export interface CapabilityFlow {
  /** Its name in the spec (`order`, `rush#3`). */
  readonly name: string;
  readonly key: string;
  readonly correlationId: string;
}

/** What a runner tells a step or probe about the run. */
export interface CapabilityContext {
  /** The run's namespace (see `TargetContext.namespace`). */
  readonly namespace: string;
  /** The flow this step starts or runs in, when it does. */
  readonly flow?: CapabilityFlow;
  /** Every flow started so far, by name (probes about one flow take its name). */
  readonly flows: ReadonlyMap<string, CapabilityFlow>;
  /** Values a step handed to later steps and probes of the same run , e.g. generated customer ids. */
  readonly memory: Map<string, unknown>;
}

/** One verdict of a probe: what it read and whether that was expected. */
export interface ProbeCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail?: string | undefined;
}

/** What a target publishes when a scenario step gives an event type and a payload (its own envelope). */
export interface EncodeEventRequest {
  readonly eventType: string;
  readonly payload: unknown;
  readonly correlationId: string;
  readonly causationId?: string | undefined;
  /** The exchange the step named, if any. */
  readonly exchange?: string | undefined;
}

/** A message a service dead-lettered, when the target watches its dead-letter queues. */
export interface TargetDeadLetter {
  readonly service: string;
  readonly eventType?: string | undefined;
  readonly reason?: string | undefined;
}

/** The system under test, not yet started. */
export interface Target {
  /** Shown in reports (`shop`, `saga (troupe.config.ts)`). */
  readonly name: string;
  readonly adapter: EnvelopeAdapter;
  /** Names of its services (started ones are in `StartedTarget.services`). */
  readonly serviceNames: readonly string[];
  /** Its kinds of flow; the first is the default for runners that start "a flow". */
  readonly flows: readonly TargetFlow[];
  /** Extra scenario steps (`when`) by name. */
  readonly steps?: Readonly<Record<string, TargetCapability>>;
  /** Extra scenario probes (`then`) by name: read final state. */
  readonly probes?: Readonly<Record<string, TargetCapability>>;
  /**
   * Event types that cause nothing further, when known: a runner sees a flow is done (nothing in flight) without
   * waiting for it to go quiet.
   */
  readonly leafEventTypes?: readonly string[];
  /** Event types the system publishes, when known: scenario specs are checked against them. */
  readonly eventTypes?: readonly string[];
  /** The payload schema of an event type, when known: scenario `publish` payloads are checked at load time. */
  payloadSchema?(eventType: string): z.ZodType | undefined;
  /** Starts (or connects to) the system: exchanges checked, services started and ready. */
  start(context: TargetContext): Promise<StartedTarget>;
}

/** A running system under test. */
export interface StartedTarget extends AsyncDisposable {
  readonly target: Target;
  /** The URL Troupe's own connections (tap, publish, chaos) use. */
  readonly brokerUrl: string;
  readonly vhost: string;
  /** The exchanges the services publish to, with their types (namespaced names for in-process targets). */
  readonly exchanges: readonly TargetExchange[];
  /** Queues services are sent messages on directly (default exchange): observe them with the firehose. */
  readonly directQueues: readonly string[];
  readonly adapter: EnvelopeAdapter;
  readonly services: readonly TargetService[];
  /** One service by name; throws `TargetError('unknown-service')` naming the known ones. */
  service(name: string): TargetService;
  /**
   * A transport onto the target's broker for a runner's own use (tap, chaos). A real broker: a new named AMQP
   * connection the caller closes. The in-memory transport: a view the caller may close without closing it.
   */
  openTransport(purpose: string): Transport;
  /**
   * Connection-name prefix (`troupe.<purpose>.<pid>.`) of the services' connections when they run in this
   * process, so a runner may cut them itself (`closeOwnConnections`); undefined for process targets (use
   * `service(name).cut()`).
   */
  readonly connectionPrefix?: string;
  /** Starts flow number `index` of kind `flow` (default the first flow). */
  startFlow(index: number, flow?: string): Promise<StartedFlow>;
  /** Publishes a message marked `x-troupe-injected: <reason>` (default `test`), so it never counts as the system's. */
  publish(exchange: string, message: OutgoingMessage, reason?: InjectedReason): Promise<void>;
  /** The first unexpected service exit of this run, if any: the run has failed. */
  failure(): ServiceExit | undefined;
  /** Final state for state invariants (white-box targets only). */
  state?(): Promise<unknown>;
  /**
   * Wraps a payload in the target's envelope (scenario `publish` steps with `event` + `payload`). Without it a
   * step sends its raw `body`.
   */
  encodeEvent?(request: EncodeEventRequest): { readonly exchange: string; readonly message: OutgoingMessage };
  /** Messages the services dead-lettered so far, when the target watches their dead-letter queues. */
  deadLetters?(): readonly TargetDeadLetter[];
  /** Stops every service Troupe started (grace, then SIGKILL) and removes what the run created. Idempotent. */
  stop(): Promise<void>;
}

/** Every terminal type of a target's flows. */
export function terminalTypesOf(target: Pick<Target, 'flows'>): string[] {
  return [...new Set(target.flows.flatMap((flow) => flow.terminalTypes))];
}

/** Every invariant of a target's flows. */
export function invariantsOf(target: Pick<Target, 'flows'>): Invariant[] {
  return target.flows.flatMap((flow) => flow.invariants);
}
