import { CorrelationGraph } from './correlation-graph';
import { serviceFromRoutingKey, type ObservedEvent, type ServiceOf } from './observed-event';

export interface MermaidOptions {
  readonly serviceOf?: ServiceOf;
  /** Participant standing for whatever caused a root event (a command, a test); default `client`. */
  readonly origin?: string;
}

/**
 * A Mermaid sequence diagram of a flow: one participant per service, one arrow per event from the service that
 * emitted its cause to the service that emitted it, labelled with the event type and its delay after the cause.
 * Duplicated or redelivered events are marked `×n`.
 */
export function renderMermaid(events: readonly ObservedEvent[], options: MermaidOptions = {}): string {
  const graph = CorrelationGraph.from(events, options.serviceOf ?? serviceFromRoutingKey);
  const origin = options.origin ?? 'client';
  const nodes = graph.nodes();
  const participants: string[] = [];
  const add = (name: string): void => {
    if (!participants.includes(name)) participants.push(name);
  };
  if (nodes.some((node) => !node.parent)) add(origin);
  for (const node of nodes) add(node.service);
  const lines = [
    'sequenceDiagram',
    ...participants.map((name) => `  participant ${id(name)} as ${label(name)}`),
  ];
  for (const node of nodes) {
    const from = node.parent ? node.parent.service : origin;
    const first = node.deliveries[0]?.receivedAt ?? 0;
    const delay = node.parent
      ? ` +${(first - (node.parent.deliveries[0]?.receivedAt ?? first)).toFixed(0)}ms`
      : '';
    const times = node.deliveries.length > 1 ? ` ×${node.deliveries.length}` : '';
    lines.push(`  ${id(from)}-)${id(node.service)}: ${label(node.eventType)}${delay}${times}`);
  }
  return lines.join('\n') + '\n';
}

/** Mermaid participant ids: letters, digits and underscores only. */
function id(name: string): string {
  return `p_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** Mermaid treats `;` and `#` specially in labels. */
function label(text: string): string {
  return text.replace(/[;#]/g, ' ');
}
