import type { IdentifiedEvent, ObservedEvent } from '../../observe/observed-event';
import { INJECTED_HEADER } from '../../target/target';

/**
 * What the system published, from what the taps recorded: deliveries to the tap queues only (a redelivery to a
 * service is not a publication), minus the copies chaos injected (`x-troupe-injected: chaos`), one per event id —
 * unless the format has no ids (`syntheticId`): then two identical publications are two.
 */
export function publications(
  events: readonly ObservedEvent[],
  tapQueues: ReadonlySet<string>,
  type?: string,
): IdentifiedEvent[] {
  const seen = new Set<string>();
  const result: IdentifiedEvent[] = [];
  for (const event of events) {
    const identity = event.identity;
    if (!identity || (type !== undefined && identity.eventType !== type)) continue;
    if (!tapQueues.has(event.source) || event.headers[INJECTED_HEADER] === 'chaos') continue;
    if (!identity.syntheticId) {
      if (seen.has(identity.eventId)) continue;
      seen.add(identity.eventId);
    }
    result.push(event as IdentifiedEvent);
  }
  return result;
}
