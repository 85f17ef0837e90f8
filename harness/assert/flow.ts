import { CorrelationGraph, type GraphNode } from '../observe/correlation-graph';
import type { EventLog } from '../observe/event-log';
import { type IdentifiedEvent, type ObservedEvent, type ServiceOf } from '../observe/observed-event';
import { renderTimeline } from '../observe/render-timeline';
import { FlowAssertionError, invalidArgument, type AssertionFailure } from './assertion-error';
import { assertDuration, waitFor, waitForQuiet, window } from './_internals/wait';

export interface FlowOptions {
  /** How to name the service of an event in timelines; default: first word of the routing key. */
  readonly serviceOf?: ServiceOf;
}

export interface WithinOptions {
  /** Hard deadline, ms. */
  readonly within: number;
}

export interface DuringOptions {
  /** Length of the observation window, ms. The assertion takes this long when it passes. */
  readonly during: number;
}

export interface ExactlyOnceOptions extends WithinOptions {
  /** After the first occurrence, how long to keep watching for a second one; default 200 ms. */
  readonly settle?: number;
  /** Count deliveries instead of distinct eventIds (then a duplicate publication fails too). Default false. */
  readonly deliveries?: boolean;
}

export interface QuiescentOptions extends WithinOptions {
  /** Quiet once nothing arrived for the flow for this long, ms. */
  readonly idleFor: number;
  /**
   * Event types that cause nothing further (the shop: CustomerNotified, OrderNeedsAttention). When given, the flow
   * is quiet as soon as every observed event is a leaf or has caused an observed event — nothing is in flight —
   * without waiting `idleFor`.
   */
  readonly leafTypes?: readonly string[];
}

/**
 * Expectations about one flow (one correlationId) in an `EventLog`. Every method is push-based: it resolves when
 * the awaited delivery is recorded, and fails with a `FlowAssertionError` showing the flow's timeline.
 */
export class Flow {
  readonly log: EventLog;
  readonly correlationId: string;
  private readonly serviceOf: ServiceOf | undefined;

  constructor(log: EventLog, correlationId: string, options: FlowOptions = {}) {
    if (!correlationId) throw invalidArgument('flow(log, correlationId): correlationId is empty');
    this.log = log;
    this.correlationId = correlationId;
    this.serviceOf = options.serviceOf;
  }

  /** Every delivery of the flow so far, in arrival order. */
  events(): readonly ObservedEvent[] {
    return this.log.byCorrelation(this.correlationId);
  }

  /** The causal graph of the flow so far. */
  graph(): CorrelationGraph {
    return CorrelationGraph.from(this.events(), this.serviceOf);
  }

  /** The flow's timeline as text. */
  timeline(): string {
    return renderTimeline(this.events(), this.serviceOf ? { serviceOf: this.serviceOf } : {});
  }

  /** Resolves with the first delivery of `type` in this flow (already observed or arriving within the deadline). */
  async toReach(type: string, options: WithinOptions): Promise<IdentifiedEvent> {
    const result = await waitFor(
      this.log.forCorrelation(this.correlationId),
      () => this.events().find((event): event is IdentifiedEvent => event.identity?.eventType === type),
      options.within,
    );
    if (result.ok) return result.value;
    throw this.fail({
      code: 'timeout',
      expectation: `flow ${this.correlationId} to reach ${type} within ${options.within} ms`,
      waitedMs: result.waitedMs,
      expectedNext: type,
      observed: this.lastObserved(),
    });
  }

  /**
   * Resolves when the flow contains a causal chain of these types, each caused by the previous one
   * (causationId = previous eventId). Returns the chain's events, first delivery of each.
   */
  async toFollowChain(types: readonly string[], options: WithinOptions): Promise<IdentifiedEvent[]> {
    if (types.length === 0) throw invalidArgument('toFollowChain: the chain is empty');
    const result = await waitFor(
      this.log.forCorrelation(this.correlationId),
      () => {
        const match = longestChain(this.graph(), types);
        return match.length === types.length ? match : undefined;
      },
      options.within,
    );
    if (result.ok) return result.value.map((node) => node.deliveries[0] as IdentifiedEvent);
    const partial = longestChain(this.graph(), types);
    const missing = types[partial.length] ?? '';
    const last = partial[partial.length - 1];
    throw this.fail({
      code: 'timeout',
      expectation: `flow ${this.correlationId} to follow ${types.join(' → ')} within ${options.within} ms`,
      waitedMs: result.waitedMs,
      expectedNext: last
        ? `${missing} caused by ${last.eventType} (${last.eventId})`
        : `${missing} (chain start)`,
      observed:
        partial.length === 0
          ? `no ${types[0] ?? ''}; ${this.lastObserved()}`
          : `chain stopped after ${partial.map((node) => node.eventType).join(' → ')}; ` +
            `${last ? describeChildren(last) : ''}`,
    });
  }

  /**
   * A real negative window: fails as soon as `type` is observed in the flow (or if it already was), and passes
   * only after watching for the whole `during`.
   */
  async never(type: string, options: DuringOptions): Promise<void> {
    assertDuration('during', options.during);
    const is = (event: ObservedEvent): boolean => event.identity?.eventType === type;
    const started = performance.now();
    let offender = this.events().find(is);
    if (!offender) {
      const span = window(options.during);
      const unsubscribe = this.log.forCorrelation(this.correlationId).subscribe((event) => {
        if (!offender && is(event)) {
          offender = event;
          span.stop();
        }
      });
      await span.done;
      unsubscribe();
    }
    if (!offender) return;
    throw this.fail({
      code: 'forbidden-event',
      expectation: `flow ${this.correlationId} never to emit ${type} during ${options.during} ms`,
      waitedMs: performance.now() - started,
      observed: `${type} (delivery #${offender.seq}, ${offender.identity?.eventId ?? '?'})`,
    });
  }

  /**
   * `type` happens, and exactly once: waits for the first occurrence, then watches `settle` ms for another.
   * Counts distinct eventIds (business effects) unless `deliveries` is set.
   */
  async exactlyOnce(type: string, options: ExactlyOnceOptions): Promise<IdentifiedEvent> {
    const settle = options.settle ?? 200;
    assertDuration('settle', settle);
    const first = await this.toReach(type, options).catch((error: unknown) => {
      if (error instanceof FlowAssertionError) {
        throw this.fail({
          ...error.failure,
          code: 'not-exactly-once',
          expectation: `flow ${this.correlationId} to emit ${type} exactly once within ${options.within} ms`,
          observed: `no ${type}; ${this.lastObserved()}`,
        });
      }
      throw error;
    });
    const started = performance.now();
    const count = (): number => {
      const matching = this.events().filter((event) => event.identity?.eventType === type);
      return options.deliveries
        ? matching.length
        : new Set(matching.map((event) => event.identity?.eventId)).size;
    };
    if (count() === 1) {
      const span = window(settle);
      const unsubscribe = this.log.forCorrelation(this.correlationId).subscribe(() => {
        if (count() > 1) span.stop();
      });
      await span.done;
      unsubscribe();
    }
    const seen = count();
    if (seen === 1) return first;
    throw this.fail({
      code: 'not-exactly-once',
      expectation: `flow ${this.correlationId} to emit ${type} exactly once (settling ${settle} ms)`,
      waitedMs: performance.now() - started,
      observed: `${seen} ${options.deliveries ? 'deliveries' : 'distinct events'} of ${type}`,
    });
  }

  /**
   * Resolves once the flow is quiet: nothing in flight (see `leafTypes`) or nothing arrived for `idleFor` ms.
   * Fails when activity continues until `within`.
   */
  async quiescent(options: QuiescentOptions): Promise<void> {
    assertDuration('idleFor', options.idleFor);
    assertDuration('within', options.within);
    const started = performance.now();
    const leaves = options.leafTypes ? new Set(options.leafTypes) : undefined;
    const settled = (): boolean => {
      if (!leaves) return false;
      const nodes = this.graph().nodes();
      return (
        nodes.length > 0 && nodes.every((node) => leaves.has(node.eventType) || node.children.length > 0)
      );
    };
    const quiet = await waitForQuiet(this.log.forCorrelation(this.correlationId), {
      lastReceivedAt: () => this.events().at(-1)?.receivedAt,
      idleFor: options.idleFor,
      within: options.within,
      settled,
    });
    if (quiet) return;
    throw this.fail({
      code: 'not-quiescent',
      expectation: `flow ${this.correlationId} to become quiet (idle ${options.idleFor} ms) within ${options.within} ms`,
      waitedMs: performance.now() - started,
      observed: `still active; ${this.lastObserved()}`,
    });
  }

  private lastObserved(): string {
    const events = this.events();
    const last = events.at(-1);
    if (!last) return 'nothing observed for this correlation';
    return `last observed ${last.identity?.eventType ?? '(unreadable)'} (${events.length} deliveries in total)`;
  }

  private fail(
    failure: Omit<AssertionFailure, 'events' | 'correlationId' | 'serviceOf'>,
  ): FlowAssertionError {
    return new FlowAssertionError({
      ...failure,
      events: [...this.events()],
      correlationId: this.correlationId,
      serviceOf: this.serviceOf,
    });
  }
}

/** Starts expectations about the flow `correlationId` observed in `log`. */
export function flow(log: EventLog, correlationId: string, options: FlowOptions = {}): Flow {
  return new Flow(log, correlationId, options);
}

/** The longest causal path matching a prefix of `types` (earliest-arriving candidates first). */
function longestChain(graph: CorrelationGraph, types: readonly string[]): GraphNode[] {
  let best: GraphNode[] = [];
  const extend = (path: GraphNode[]): void => {
    if (path.length > best.length) best = path;
    if (path.length === types.length) return;
    const last = path[path.length - 1];
    for (const child of last?.children ?? []) {
      if (child.eventType === types[path.length]) extend([...path, child]);
      if (best.length === types.length) return;
    }
  };
  for (const node of graph.nodes()) {
    if (node.eventType === types[0]) extend([node]);
    if (best.length === types.length) break;
  }
  return best;
}

function describeChildren(node: GraphNode): string {
  return node.children.length === 0
    ? `${node.eventType} caused nothing observed`
    : `${node.eventType} caused ${node.children.map((child) => child.eventType).join(', ')}`;
}
