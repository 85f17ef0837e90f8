import { INJECTED_HEADER } from './injected-message';
import { CorrelationGraph } from './correlation-graph';
import { eventTypeOf, serviceFromRoutingKey, type ObservedEvent, type ServiceOf } from './observed-event';

/** One printed row of a timeline: a delivery with its place in the flow. */
export interface TimelineRow {
  readonly seq: number;
  readonly eventType: string;
  readonly service: string;
  readonly receivedAt: number;
  /** Causal depth (0 = root); undefined for unreadable deliveries. */
  readonly depth: number | undefined;
  /** Milliseconds since the previous delivery in this timeline (0 for the first). */
  readonly sincePreviousMs: number;
  /** Milliseconds since the first delivery in this timeline. */
  readonly sinceStartMs: number;
  /**
   * `duplicate` (this eventId was delivered before), `redelivered`, `unreadable`, `injected:<reason>` (Troupe
   * published it: a flow start, a step, a chaos copy).
   */
  readonly flags: readonly string[];
  readonly eventId: string | undefined;
  /** Where the delivery was observed (tap queue, consumer queue, `publish:<exchange>`). */
  readonly source: string;
}

export interface TimelineOptions {
  readonly serviceOf?: ServiceOf;
  /** Heading line; default `Timeline (<n> deliveries)`. */
  readonly title?: string;
}

/** The rows of a timeline, in arrival order: every delivery, duplicates and redeliveries included. */
export function timelineRows(events: readonly ObservedEvent[], options: TimelineOptions = {}): TimelineRow[] {
  const serviceOf = options.serviceOf ?? serviceFromRoutingKey;
  const graph = CorrelationGraph.from(events, serviceOf);
  const sorted = [...events].sort((a, b) => a.receivedAt - b.receivedAt || a.seq - b.seq);
  const seen = new Set<string>();
  const first = sorted[0]?.receivedAt ?? 0;
  let previous = first;
  return sorted.map((event) => {
    const eventId = event.identity?.eventId;
    const flags: string[] = [];
    if (eventId !== undefined && seen.has(eventId)) flags.push('duplicate');
    if (event.redelivered) flags.push('redelivered');
    if (!event.identity) flags.push('unreadable');
    const injected = event.headers[INJECTED_HEADER];
    if (injected !== undefined) flags.push(`injected:${typeof injected === 'string' ? injected : 'yes'}`);
    if (eventId !== undefined) seen.add(eventId);
    const row: TimelineRow = {
      seq: event.seq,
      eventType: eventTypeOf(event),
      service: serviceOf(event),
      receivedAt: event.receivedAt,
      depth: eventId === undefined ? undefined : graph.depthOf(eventId),
      sincePreviousMs: event.receivedAt - previous,
      sinceStartMs: event.receivedAt - first,
      flags,
      eventId,
      source: event.source,
    };
    previous = event.receivedAt;
    return row;
  });
}

/**
 * A text timeline: time received, ms since start and since previous, causal depth (indented), event type,
 * service and flags. Used by failing assertions and `troupe trace`.
 */
export function renderTimeline(events: readonly ObservedEvent[], options: TimelineOptions = {}): string {
  const rows = timelineRows(events, options);
  const title = options.title ?? `Timeline (${rows.length} ${rows.length === 1 ? 'delivery' : 'deliveries'})`;
  if (rows.length === 0) return `${title}\n  (nothing observed)`;
  const typeWidth = Math.max(10, ...rows.map((row) => row.eventType.length + 2 * (row.depth ?? 0) + 3));
  const serviceWidth = Math.max(7, ...rows.map((row) => row.service.length));
  // Several observation points (a firehose tap sees the publish and each delivery): say where each row was seen.
  const mixed = new Set(rows.map((row) => row.source)).size > 1;
  const sourceWidth = Math.max(7, ...rows.map((row) => row.source.length));
  const sourceColumn = (text: string): string => (mixed ? `${text.padEnd(sourceWidth)} ` : '');
  const header =
    `  ${'time'.padEnd(12)} ${'+ms'.padStart(8)} ${'Δms'.padStart(8)} ${'depth'.padStart(5)}  ` +
    `${'event'.padEnd(typeWidth)} ${'service'.padEnd(serviceWidth)} ${sourceColumn('seen at')}flags`;
  const lines = rows.map((row) => {
    const indent = row.depth === undefined ? '' : '  '.repeat(row.depth) + (row.depth > 0 ? '└ ' : '');
    return (
      `  ${clockTime(row.receivedAt).padEnd(12)} ${row.sinceStartMs.toFixed(1).padStart(8)} ` +
      `${row.sincePreviousMs.toFixed(1).padStart(8)} ${String(row.depth ?? '-').padStart(5)}  ` +
      `${(indent + row.eventType).padEnd(typeWidth)} ${row.service.padEnd(serviceWidth)} ` +
      `${sourceColumn(row.source)}${row.flags.join(',')}`
    ).trimEnd();
  });
  return [title, header, ...lines].join('\n');
}

/** `HH:MM:SS.mmm` in UTC. */
export function clockTime(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 23);
}
