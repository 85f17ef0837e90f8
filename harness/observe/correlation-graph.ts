import type { EventIdentity } from '../events/envelope-adapter';
import { isIdentified, serviceFromRoutingKey, type ObservedEvent, type ServiceOf } from './observed-event';

/** One event (not one delivery) of a flow, with its place in the causal tree. */
export interface GraphNode {
  readonly eventId: string;
  readonly eventType: string;
  readonly service: string;
  readonly identity: EventIdentity;
  /** 0 for a root (its cause was not observed, e.g. a command), parent depth + 1 otherwise. */
  readonly depth: number;
  readonly parent: GraphNode | undefined;
  readonly children: readonly GraphNode[];
  /** Every delivery of this event, in arrival order; more than one means duplicated or redelivered. */
  readonly deliveries: readonly ObservedEvent[];
}

interface MutableNode extends GraphNode {
  depth: number;
  parent: MutableNode | undefined;
  readonly children: MutableNode[];
  readonly deliveries: ObservedEvent[];
}

/**
 * The causal tree of observed events: parent/child by causationId, depth from the root. Built from deliveries;
 * duplicates collapse into one node that keeps all its deliveries. Cycles (a buggy service citing a later event
 * as its cause) are broken so depth stays finite.
 */
export class CorrelationGraph {
  private readonly nodesById: ReadonlyMap<string, MutableNode>;
  private readonly ordered: readonly MutableNode[];

  private constructor(nodes: Map<string, MutableNode>, ordered: MutableNode[]) {
    this.nodesById = nodes;
    this.ordered = ordered;
  }

  /** Builds the graph of `events` (typically `log.byCorrelation(id)`); unreadable deliveries are skipped. */
  static from(
    events: readonly ObservedEvent[],
    serviceOf: ServiceOf = serviceFromRoutingKey,
  ): CorrelationGraph {
    const nodes = new Map<string, MutableNode>();
    const ordered: MutableNode[] = [];
    for (const event of events) {
      if (!isIdentified(event)) continue;
      const existing = nodes.get(event.identity.eventId);
      if (existing) {
        existing.deliveries.push(event);
        continue;
      }
      const node: MutableNode = {
        eventId: event.identity.eventId,
        eventType: event.identity.eventType,
        service: serviceOf(event),
        identity: event.identity,
        depth: 0,
        parent: undefined,
        children: [],
        deliveries: [event],
      };
      nodes.set(node.eventId, node);
      ordered.push(node);
    }
    for (const node of ordered) {
      const causation = node.identity.causationId;
      const parent = causation === undefined ? undefined : nodes.get(causation);
      if (parent && parent !== node && !isAncestor(node, parent)) {
        node.parent = parent;
        parent.children.push(node);
      }
    }
    const assign = (node: MutableNode, depth: number): void => {
      const stack: [MutableNode, number][] = [[node, depth]];
      while (stack.length > 0) {
        const [current, d] = stack.pop() as [MutableNode, number];
        current.depth = d;
        for (const child of current.children) stack.push([child, d + 1]);
      }
    };
    for (const node of ordered) if (!node.parent) assign(node, 0);
    return new CorrelationGraph(nodes, ordered);
  }

  /** Events in order of first arrival. */
  nodes(): readonly GraphNode[] {
    return this.ordered;
  }

  /** Events whose cause was not observed. */
  roots(): readonly GraphNode[] {
    return this.ordered.filter((node) => !node.parent);
  }

  node(eventId: string): GraphNode | undefined {
    return this.nodesById.get(eventId);
  }

  /** Depth of an event, or undefined when it is not in the graph. */
  depthOf(eventId: string): number | undefined {
    return this.nodesById.get(eventId)?.depth;
  }

  /** The causal chain from the root to `eventId`, root first; empty when unknown. */
  chainTo(eventId: string): readonly GraphNode[] {
    const chain: GraphNode[] = [];
    for (let node: GraphNode | undefined = this.nodesById.get(eventId); node; node = node.parent) {
      chain.unshift(node);
    }
    return chain;
  }

  /** The longest root-to-leaf depth + 1 (number of causal steps), 0 for an empty graph. */
  height(): number {
    return this.ordered.reduce((max, node) => Math.max(max, node.depth + 1), 0);
  }
}

function isAncestor(candidate: MutableNode, of: MutableNode): boolean {
  for (let node: MutableNode | undefined = of; node; node = node.parent) if (node === candidate) return true;
  return false;
}
